import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mnistCount } from '../../test/fixtures/mnist-samples.ts';

const SPLIT_FILE = join(import.meta.dirname, '..', 'splits', 'digits-held-out.json');

/**
 * The test half of the digits' held-out split (`training/splits/digits-held-out.json`, written by
 * train.py): never trained or fitted on, as `{ digit, index }` into the `mnist` package's class files.
 */
export function mnistTestIndices(): { digit: number; index: number }[] {
  const split = JSON.parse(readFileSync(SPLIT_FILE, 'utf8')) as { test: number[] };
  const starts: number[] = [];
  let total = 0;
  for (let d = 0; d < 10; d++) {
    starts.push(total);
    total += mnistCount(d);
  }
  return split.test.map((flat) => {
    let digit = 9;
    while ((starts[digit] as number) > flat) digit--;
    return { digit, index: flat - (starts[digit] as number) };
  });
}
