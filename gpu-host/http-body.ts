import type { IncomingMessage } from 'node:http';
import { ImageTooLargeError } from './errors.ts';

/**
 * Reads a request body into one Buffer, refusing (before reading it) a declared length over `limit`
 * and stopping as soon as the bytes received pass it.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    throw new ImageTooLargeError(`the body is ${declared} bytes; the limit is ${limit}`);
  }
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of req) {
    received += (chunk as Buffer).length;
    if (received > limit) throw new ImageTooLargeError(`the body is over the limit of ${limit} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, received);
}
