import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, buildBundles } from './bundles.ts';
import { finalizeMetrics } from './finalize.ts';
import { partitionOf } from './partition.ts';
import { expectSameMetrics } from './testing/expect-same-metrics.ts';
import { label, line, prediction } from './testing/records.ts';
import { referenceMetrics } from './testing/reference-metrics.ts';
import { syntheticLines } from './testing/synthetic-records.ts';

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with `input` on stdin, as Hadoop Streaming runs a task. */
function run(
  command: string,
  args: readonly string[],
  input: string,
  env: Record<string, string> = {},
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

const sortC = (input: string) => run('sort', [], input, { LC_ALL: 'C' });

let dir: string;
let bundles: Bundles;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pictor-mr-contract-'));
  bundles = await buildBundles(path.join(dir, 'bundles'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the bundled streaming programs, as processes', () => {
  it('the join mapper writes key<TAB>value lines and reports bad lines as counters, not failures', async () => {
    const input = [line(prediction(1)), '', line(label(1, 1)), 'garbage', '{"a":1}'].join('\n');
    const out = await run(process.execPath, [bundles['join-mapper']], input);
    expect(out.code).toBe(0);
    const lines = out.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    for (const l of lines) expect(l).toMatch(/^[^\t\n]+\t[^\n]+$/);
    expect(lines.map((l) => l.slice(0, l.indexOf('\t')))).toEqual([
      prediction(1).uploadId,
      prediction(1).uploadId,
      '*',
    ]);
    expect(out.stderr).toContain('reporter:counter:pictor-accuracy,malformed.invalid_json,1\n');
    expect(out.stderr).toContain('reporter:counter:pictor-accuracy,malformed.unknown_record,1\n');
    expect(out.stderr).toContain('reporter:counter:pictor-accuracy,prediction_records,1\n');
  });

  it('a pipeline of mapper | sort | reducer | mapper | sort | combiner | reducer gives the reference metrics', async () => {
    const lines = syntheticLines({ uploads: 400, seed: 21, malformedEvery: 50 });
    const node =
      (bundle: string, ...args: string[]) =>
      (input: string) =>
        run(process.execPath, [bundle, ...args], input);
    let data = lines.join('\n');
    for (const step of [
      node(bundles['join-mapper']),
      sortC,
      node(bundles['join-reducer']),
      node(bundles['totals-mapper']),
      sortC,
      node(bundles['merge-counts'], 'combine'),
      sortC,
      node(bundles['merge-counts'], 'reduce'),
    ]) {
      const out = await step(data);
      expect(out.code, out.stderr).toBe(0);
      data = out.stdout;
    }
    const {
      runId: _r,
      generatedAt: _g,
      ...metrics
    } = finalizeMetrics(data.split('\n'), {
      runId: 'x',
      generatedAt: new Date(0),
      manifests: {},
    });
    expectSameMetrics(metrics, referenceMetrics(lines, {}));
  });

  it('the totals reducer counts a value it cannot read instead of failing; the combiner passes it on', async () => {
    const input = `["digits","1","*"]\tnot counts\n`;
    const combined = await run(process.execPath, [bundles['merge-counts'], 'combine'], input);
    expect(combined).toMatchObject({ code: 0, stdout: input });
    const reduced = await run(process.execPath, [bundles['merge-counts'], 'reduce'], input);
    expect(reduced.code).toBe(0);
    expect(reduced.stdout).toMatch(/^\*\t.*"invalid_counts_value":1/);
  });

  it("the partitioner sends each key to one reducer, by Hadoop's HashPartitioner", async () => {
    const out = path.join(dir, 'partitions');
    await mkdir(out, { recursive: true });
    const input = ['a\t1', 'b\t2', 'a\t3', 'c', 'ä\t4'].join('\n');
    expect((await run(process.execPath, [bundles.partitioner, '3', out], input)).code).toBe(0);
    const parts = await Promise.all([0, 1, 2].map((r) => readFile(path.join(out, `part-${r}`), 'utf8')));
    // Text("a").hashCode() = 31 * 1 + 97 = 128; 128 % 3 = 2.
    expect(partitionOf(new TextEncoder().encode('a'), 3)).toBe(2);
    expect(parts[2]).toContain('a\t1\na\t3\n');
    const all = parts.join('');
    expect(all.split('\n').filter(Boolean).sort()).toEqual(['a\t1', 'a\t3', 'b\t2', 'c', 'ä\t4']);
    for (const key of ['a', 'b', 'c', 'ä']) {
      expect(parts.filter((p) => p.split('\n').some((l) => l.split('\t')[0] === key))).toHaveLength(1);
    }
  });

  it('the split reader deals every file to exactly one split, ends each with a newline and skips hidden files', async () => {
    const root = path.join(dir, 'splits');
    await mkdir(path.join(root, 'dt=2026-03-01'), { recursive: true });
    await mkdir(path.join(root, 'dt=2026-03-02'), { recursive: true });
    const names: string[] = [];
    for (let i = 0; i < 10; i++) {
      const name = path.join(root, `dt=2026-03-0${(i % 2) + 1}`, `f${i}.json`);
      names.push(`file ${i}`);
      await writeFile(name, i % 3 === 0 ? `file ${i}` : `file ${i}\n`);
    }
    await writeFile(path.join(root, '_SUCCESS'), 'hidden');
    await writeFile(path.join(root, '.crc'), 'hidden');
    const outputs = await Promise.all(
      [0, 1, 2].map((i) =>
        run(
          process.execPath,
          [bundles['split-reader'], String(i), '3', root, path.join(dir, 'nothing-here')],
          '',
        ),
      ),
    );
    const read = outputs.flatMap((o) => o.stdout.split('\n').filter(Boolean));
    expect(read.sort()).toEqual(names.sort());
    expect(outputs.every((o) => o.code === 0 && (o.stdout === '' || o.stdout.endsWith('\n')))).toBe(true);
  });

  it('the split reader still ends a file with a newline when the file exactly fills its output buffer', async () => {
    // A file of exactly 1 MiB without a newline goes out as one full buffer; the next file must not join its line.
    const first = path.join(dir, 'exact', 'a');
    const second = path.join(dir, 'exact', 'b');
    await mkdir(first, { recursive: true });
    await mkdir(second, { recursive: true });
    await writeFile(path.join(first, 'big.json'), 'x'.repeat(1024 * 1024));
    await writeFile(path.join(second, 'small.json'), 'y');
    const out = await run(process.execPath, [bundles['split-reader'], '0', '1', first, second], '');
    expect(out.code).toBe(0);
    expect(out.stdout.split('\n').map((l) => l.length)).toEqual([1024 * 1024, 1, 0]);
  });
});
