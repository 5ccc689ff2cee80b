import { closeSync, openSync, writeSync } from 'node:fs';
import path from 'node:path';
import { keyLength, partitionOf } from '../partition.ts';
import { runTask } from './line-io.ts';

/**
 * The local runner's map-output collector: `node partitioner.js <reducers> <dir>` reads a mapper's
 * `key\tvalue` lines on stdin and appends each to `<dir>/part-<r>`, r = hash(key) mod reducers, with Hadoop's
 * HashPartitioner (see partition.ts). Works on bytes, never decodes, and holds one buffer per reducer.
 */
const FLUSH_AT = 256 * 1024;

runTask(async () => {
  const reducers = Number(process.argv[2]);
  const dir = process.argv[3];
  if (!Number.isInteger(reducers) || reducers < 1 || dir === undefined) {
    throw new Error('usage: partitioner <reducers> <dir>');
  }
  const fds = Array.from({ length: reducers }, (_, r) => openSync(path.join(dir, `part-${r}`), 'w'));
  const pending: Buffer[][] = fds.map(() => []);
  const sizes = fds.map(() => 0);
  const emit = (r: number, line: Buffer) => {
    (pending[r] as Buffer[]).push(line);
    sizes[r] = (sizes[r] as number) + line.length;
    if ((sizes[r] as number) >= FLUSH_AT) flush(r);
  };
  const flush = (r: number) => {
    const data = Buffer.concat(pending[r] as Buffer[]);
    let offset = 0;
    while (offset < data.length) offset += writeSync(fds[r] as number, data, offset);
    pending[r] = [];
    sizes[r] = 0;
  };
  let rest: Buffer = Buffer.alloc(0);
  const take = (line: Buffer) => emit(partitionOf(line, reducers, keyLength(line)), line);
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    const data = rest.length === 0 ? chunk : Buffer.concat([rest, chunk]);
    let start = 0;
    let end = data.indexOf(0x0a, start);
    while (end >= 0) {
      // Lines keep their newline; empty lines carry no record.
      if (end > start) take(data.subarray(start, end + 1));
      start = end + 1;
      end = data.indexOf(0x0a, start);
    }
    rest = Buffer.from(data.subarray(start));
  }
  if (rest.length > 0) take(Buffer.concat([rest, Buffer.from('\n')]));
  fds.forEach((fd, r) => {
    flush(r);
    closeSync(fd);
  });
});
