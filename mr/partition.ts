/**
 * Hadoop's HashPartitioner over Text keys: `(hashBytes(key) & Integer.MAX_VALUE) % reducers`, where
 * WritableComparator.hashBytes is h = 1, h = 31·h + (signed byte) over the key's UTF-8 bytes.
 * `end` bounds the key inside a longer buffer (a whole `key\tvalue\n` line).
 */
export function partitionOf(bytes: Uint8Array, reducers: number, end = bytes.length): number {
  let hash = 1;
  for (let i = 0; i < end; i++) {
    const byte = bytes[i] as number;
    hash = (Math.imul(31, hash) + ((byte << 24) >> 24)) | 0;
  }
  return (hash & 0x7fffffff) % reducers;
}

/** The length of a line's key: up to its first tab or newline. */
export function keyLength(line: Uint8Array): number {
  for (let i = 0; i < line.length; i++) {
    const byte = line[i];
    if (byte === 0x09 || byte === 0x0a) return i;
  }
  return line.length;
}
