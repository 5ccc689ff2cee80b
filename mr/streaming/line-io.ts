import { once } from 'node:events';

/**
 * The streaming contract's plumbing, shared by every mapper, combiner and reducer: lines in on stdin,
 * `key\tvalue` lines out on stdout, Hadoop's `reporter:` lines on stderr.
 */

/**
 * Calls `onLine` for each line of stdin (without its newline, and without a CR before it). Between
 * chunks it waits for `out` to drain, so a slow reader downstream slows this task instead of filling memory.
 */
export async function forEachLine(onLine: (line: string) => void, out?: LineWriter): Promise<void> {
  process.stdin.setEncoding('utf8');
  let rest = '';
  for await (const chunk of process.stdin as AsyncIterable<string>) {
    const text = rest + chunk;
    let start = 0;
    let end = text.indexOf('\n');
    while (end >= 0) {
      onLine(stripCr(text.slice(start, end)));
      start = end + 1;
      end = text.indexOf('\n', start);
    }
    rest = text.slice(start);
    if (out) await out.drain();
  }
  if (rest !== '') onLine(stripCr(rest));
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/**
 * Calls `onKey` with each key and its values, for input sorted by key (what a reducer or combiner
 * gets): consecutive lines with the same key, split at the first tab.
 */
export async function forEachKey(
  onKey: (key: string, values: string[]) => void,
  out?: LineWriter,
): Promise<void> {
  let current: string | null = null;
  let values: string[] = [];
  await forEachLine((line) => {
    const tab = line.indexOf('\t');
    const key = tab < 0 ? line : line.slice(0, tab);
    const value = tab < 0 ? '' : line.slice(tab + 1);
    if (key !== current) {
      if (current !== null) onKey(current, values);
      current = key;
      values = [];
    }
    values.push(value);
  }, out);
  if (current !== null) onKey(current, values);
}

const FLUSH_AT = 64 * 1024;

/** Buffered stdout: lines are joined into large writes; `drain()` waits while stdout holds too much. */
export class LineWriter {
  private buffer: string[] = [];
  private size = 0;
  private full = false;

  write(line: string): void {
    this.buffer.push(line);
    this.size += line.length + 1;
    if (this.size >= FLUSH_AT) this.flush();
  }

  flush(): void {
    if (this.buffer.length === 0) return;
    if (!process.stdout.write(`${this.buffer.join('\n')}\n`)) this.full = true;
    this.buffer = [];
    this.size = 0;
  }

  async drain(): Promise<void> {
    if (!this.full) return;
    await once(process.stdout, 'drain');
    this.full = false;
  }

  /** Writes what is buffered and waits until stdout has taken it. */
  async end(): Promise<void> {
    this.flush();
    await this.drain();
  }
}

/** Hadoop Streaming's counter update: `reporter:counter:<group>,<counter>,<amount>` on stderr. */
export function reportCounter(group: string, counter: string, amount: number): void {
  if (amount !== 0) process.stderr.write(`reporter:counter:${group},${counter},${amount}\n`);
}

/** The counter group of this job's counters. */
export const COUNTER_GROUP = 'pictor-accuracy';

/** Runs a task's main and turns a crash into a message and exit status 1 (the task fails, loudly). */
export function runTask(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  });
}
