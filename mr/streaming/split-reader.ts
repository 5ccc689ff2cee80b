import { once } from 'node:events';
import { closeSync, type Dir, opendirSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { COUNTER_GROUP, reportCounter, runTask } from './line-io.ts';

/**
 * The local runner's record reader, for one input split: `node split-reader.js <index> <count> <root>...`
 * walks the roots and writes every `count`-th file (from the `index`-th) to stdout, each ending in a
 * newline, like Hadoop feeding a map task its split. The listing is streamed, never held: memory stays
 * flat however many files there are. Names starting with `_` or `.` are skipped, as Hadoop does.
 */
/** Bytes written to stdout at once. */
export const CHUNK = 1024 * 1024;

runTask(async () => {
  const [index, count, ...roots] = process.argv.slice(2);
  const mine = Number(index);
  const of = Number(count);
  if (
    !Number.isInteger(mine) ||
    !Number.isInteger(of) ||
    of < 1 ||
    mine < 0 ||
    mine >= of ||
    roots.length === 0
  ) {
    throw new Error('usage: split-reader <index> <count> <root>...');
  }
  let buffer = Buffer.allocUnsafe(CHUNK);
  let used = 0;
  let seen = 0;
  let files = 0;
  let bytes = 0;
  const flush = async () => {
    if (used === 0) return;
    const full = !process.stdout.write(buffer.subarray(0, used));
    bytes += used;
    // The written buffer may still be queued: never reuse it.
    buffer = Buffer.allocUnsafe(CHUNK);
    used = 0;
    if (full) await once(process.stdout, 'drain');
  };
  const copy = async (file: string) => {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      reportCounter(COUNTER_GROUP, 'input_files_vanished', 1);
      return;
    }
    // The file's last byte, wherever it landed: it may have gone out with a full buffer already.
    let last = 0x0a;
    try {
      for (;;) {
        if (used === CHUNK) await flush();
        const read = readSync(fd, buffer, used, CHUNK - used, null);
        if (read === 0) break;
        used += read;
        last = buffer[used - 1] as number;
      }
    } finally {
      closeSync(fd);
    }
    if (last !== 0x0a) {
      if (used === CHUNK) await flush();
      buffer[used++] = 0x0a;
    }
    files += 1;
    if (files % 4096 === 0) {
      reportCounter(COUNTER_GROUP, 'input_files', 4096);
    }
  };
  const walk = async (dir: string) => {
    let handle: Dir;
    try {
      handle = opendirSync(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return; // no such root: no input there
      throw error;
    }
    const subdirectories: string[] = [];
    try {
      for (let entry = handle.readSync(); entry !== null; entry = handle.readSync()) {
        if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
        if (entry.isDirectory()) subdirectories.push(entry.name);
        else if (entry.isFile() && seen++ % of === mine) await copy(path.join(dir, entry.name));
      }
    } finally {
      handle.closeSync();
    }
    for (const name of subdirectories.sort()) await walk(path.join(dir, name));
  };
  for (const root of roots) await walk(root);
  await flush();
  reportCounter(COUNTER_GROUP, 'input_files', files % 4096);
  reportCounter(COUNTER_GROUP, 'input_bytes', bytes);
});
