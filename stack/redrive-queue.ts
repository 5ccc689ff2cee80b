import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CreatedObject } from './s3-event-record.ts';

/** One event kept for re-drive. */
export interface RedriveEntry {
  readonly object: CreatedObject;
  /** When it was first kept. */
  readonly keptAt: number;
  readonly attempts: number;
  /** No re-drive before this (epoch ms): failing entries back off. */
  readonly notBefore: number;
  readonly lastError: string;
}

/**
 * The local stand-in for a Lambda's dead-letter queue: events whose processing failed past their
 * retries, kept as one JSON file each under the data folder, so they survive the process (SIGKILL
 * included: each write is a temp file renamed into place). Keyed by object key: keeping an event twice
 * keeps it once.
 */
export class RedriveQueue {
  private constructor(private readonly directory: string) {}

  static async open(directory: string): Promise<RedriveQueue> {
    await mkdir(directory, { recursive: true });
    return new RedriveQueue(directory);
  }

  /** Keeps (or updates) the entry for its object. */
  async put(entry: RedriveEntry): Promise<void> {
    const file = this.fileOf(entry.object.key);
    const temp = `${file}.${process.pid}.${Date.now()}.tmp`;
    await writeFile(temp, JSON.stringify(entry));
    await rename(temp, file);
  }

  async remove(key: string): Promise<void> {
    await rm(this.fileOf(key), { force: true });
  }

  /** Every entry kept; unreadable files (none are expected) are skipped. */
  async list(): Promise<RedriveEntry[]> {
    const names = (await readdir(this.directory)).filter((n) => n.endsWith('.json'));
    const entries: RedriveEntry[] = [];
    for (const name of names) {
      try {
        const raw = JSON.parse(await readFile(path.join(this.directory, name), 'utf8')) as RedriveEntry;
        entries.push({ ...raw, object: { ...raw.object, eventTime: new Date(raw.object.eventTime) } });
      } catch {
        // A file vanished between readdir and read (removed after a re-drive): nothing to do.
      }
    }
    return entries;
  }

  private fileOf(key: string): string {
    return path.join(this.directory, `${encodeURIComponent(key)}.json`);
  }
}
