import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../mr/summary-table.ts';
import { syntheticRecords, writeSyntheticDir } from '../mr/testing/synthetic-records.ts';
import { firstDifference } from './accuracy-compare.ts';
import { measureCommand, type TreeMeasurement } from './accuracy-measure.ts';

/**
 * `npm run bench:accuracy`: the accuracy job's local runner against a single-process, in-memory
 * computation of the same metrics, on generated records written as files in the bucket's layout (one
 * file per prediction, labels in batches of 100). For each size: generate, run both (each as its own
 * process tree, memory sampled from /proc), check they agree, delete. Prints a table, then the same
 * figures as one line of JSON, last.
 *
 *   --uploads 1000000,2000000   sizes, in uploads (each ≈ 2 records: a prediction and its label)
 *   --mappers N --reducers N --sort-buffer 64M   the runner's layout
 *   --dir <tmp>                  where the records go (≈ 4.3 GB per million uploads on ext4)
 */
const { values } = parseArgs({
  options: {
    uploads: { type: 'string', default: '1000000,2000000' },
    mappers: { type: 'string', default: String(availableParallelism()) },
    reducers: { type: 'string', default: '2' },
    'sort-buffer': { type: 'string', default: '64M' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const sizes = values.uploads.split(',').map((s) => Number(s.replace(/_/g, '')));
if (sizes.some((n) => !Number.isInteger(n) || n < 1))
  throw new Error('--uploads takes whole numbers, e.g. 1000000,2000000');

interface SizeResult {
  uploads: number;
  records: number;
  labelled: number;
  generateSeconds: number;
  runner: TreeMeasurement;
  baseline: TreeMeasurement;
  agree: boolean;
  difference: string | null;
}

const log = (text: string) => process.stderr.write(`${text}\n`);
const load = () => loadavg().map((l) => l.toFixed(2));
const loadBefore = load();
log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average ${loadBefore.join(' ')}`,
);

const results: SizeResult[] = [];
for (const uploads of sizes) {
  const root = await mkdtemp(path.join(values.dir, 'pictor-bench-accuracy-'));
  try {
    const input = path.join(root, 'bucket');
    const t0 = Date.now();
    log(`${uploads.toLocaleString('en')} uploads: writing records to ${input} …`);
    const written = writeSyntheticDir(
      input,
      syntheticRecords({ uploads, seed: 7, irregular: 0.005, malformedEvery: 100_000 }),
    );
    const records = written.predictions + written.labels + written.malformed;
    const generateSeconds = (Date.now() - t0) / 1000;
    log(
      `  ${records.toLocaleString('en')} records in ${written.files.toLocaleString('en')} files, ${generateSeconds.toFixed(0)} s; load ${load().join(' ')}`,
    );

    log('  local runner …');
    const runner = await measureCommand(process.execPath, [
      '--import',
      'tsx',
      'mr/cli.ts',
      '--input',
      input,
      '--output',
      path.join(root, 'out'),
      '--run-id',
      'bench',
      '--mappers',
      values.mappers,
      '--reducers',
      values.reducers,
      '--sort-buffer',
      values['sort-buffer'],
      '--work-dir',
      path.join(root, 'work'),
    ]);
    if (runner.exitCode !== 0) throw new Error(`the runner failed:\n${runner.stderr}`);
    log(`  ${runner.wallSeconds.toFixed(1)} s; load ${load().join(' ')}`);

    log('  in-memory baseline …');
    const baselineOut = path.join(root, 'baseline.json');
    const baseline = await measureCommand(process.execPath, [
      '--max-old-space-size=12288',
      '--import',
      'tsx',
      'bench/accuracy-baseline.ts',
      input,
      baselineOut,
    ]);
    if (baseline.exitCode !== 0) throw new Error(`the baseline failed:\n${baseline.stderr}`);
    log(`  ${baseline.wallSeconds.toFixed(1)} s; load ${load().join(' ')}`);

    const strip = (file: string) => {
      const {
        runId: _r,
        generatedAt: _g,
        ...rest
      } = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      return rest as { models: Array<{ n: number }> };
    };
    const ours = strip(path.join(root, 'out/reports/bench/metrics.json'));
    const difference = firstDifference(ours, strip(baselineOut));
    const labelled = ours.models.reduce((sum, m) => sum + m.n, 0);
    results.push({
      uploads,
      records,
      labelled,
      generateSeconds,
      runner,
      baseline,
      agree: difference === null,
      difference,
    });
    if (difference) log(`  DISAGREE at ${difference}`);
  } finally {
    // rm -rf: fs.rm over two million files takes minutes and gigabytes.
    spawnSync('rm', ['-rf', root]);
  }
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const rate = (r: SizeResult, m: TreeMeasurement) => r.records / m.wallSeconds;
const rows = results.flatMap((r) => [
  [
    `local runner (${values.mappers} map, ${values.reducers} reduce)`,
    r.records.toLocaleString('en'),
    r.labelled.toLocaleString('en'),
    r.runner.wallSeconds.toFixed(1),
    Math.round(rate(r, r.runner)).toLocaleString('en'),
    mib(r.runner.peakProcessRssBytes),
    mib(r.runner.peakTreeRssBytes),
    String(r.runner.processes),
    r.agree ? 'yes' : 'NO',
  ],
  [
    'in-memory, 1 process',
    r.records.toLocaleString('en'),
    r.labelled.toLocaleString('en'),
    r.baseline.wallSeconds.toFixed(1),
    Math.round(rate(r, r.baseline)).toLocaleString('en'),
    mib(r.baseline.peakProcessRssBytes),
    mib(r.baseline.peakTreeRssBytes),
    String(r.baseline.processes),
    '',
  ],
]);
const loadAfter = load();
process.stdout.write(
  `${formatTable(['', 'records', 'labelled', 'wall s', 'records/s', 'peak RSS, max', 'peak RSS, sum', 'processes', 'agree'], rows)}\n\n`,
);
const ratios = results.map((r) => ({
  records: r.records,
  throughputVsBaseline: rate(r, r.runner) / rate(r, r.baseline),
}));
for (const r of ratios) {
  process.stdout.write(
    `${r.records.toLocaleString('en')} records: runner throughput ${(r.throughputVsBaseline * 100).toFixed(0)} % of the baseline's (target ≥ 50 %)\n`,
  );
}
const first = results[0];
const last = results.at(-1);
const memoryGrowth =
  first && last && last !== first
    ? {
        fromRecords: first.records,
        toRecords: last.records,
        runnerPeakSum: last.runner.peakTreeRssBytes / first.runner.peakTreeRssBytes,
        runnerPeakMax: last.runner.peakProcessRssBytes / first.runner.peakProcessRssBytes,
        baselinePeak: last.baseline.peakProcessRssBytes / first.baseline.peakProcessRssBytes,
      }
    : null;
if (memoryGrowth) {
  process.stdout.write(
    `peak memory, ${memoryGrowth.toRecords.toLocaleString('en')} vs ${memoryGrowth.fromRecords.toLocaleString('en')} records: runner ×${memoryGrowth.runnerPeakSum.toFixed(2)} (sum), ×${memoryGrowth.runnerPeakMax.toFixed(2)} (largest process); baseline ×${memoryGrowth.baselinePeak.toFixed(2)} (target: runner flat)\n`,
  );
}
const biggest = results.at(-1);
if (biggest) {
  const programs = Object.entries(biggest.runner.peakByProgram)
    .filter(([program]) => program !== '?')
    .sort(([, a], [, b]) => b - a);
  process.stdout.write(
    `largest resident set per program, local runner, ${biggest.records.toLocaleString('en')} records:\n${formatTable(
      ['program', 'peak RSS'],
      programs.map(([program, bytes]) => [program, mib(bytes)]),
    )}\n\n`,
  );
}
process.stdout.write(
  `load average before ${loadBefore.join(' ')}, after ${loadAfter.join(' ')} (2 cores: above 2 means others were busy too)\n`,
);
process.stdout.write(
  `${JSON.stringify({
    machine: { cpus: cpus().length, loadBefore: loadBefore.map(Number), loadAfter: loadAfter.map(Number) },
    layout: {
      mappers: Number(values.mappers),
      reducers: Number(values.reducers),
      sortBuffer: values['sort-buffer'],
    },
    runs: results.map((r) => ({
      uploads: r.uploads,
      records: r.records,
      labelled: r.labelled,
      agree: r.agree,
      runner: {
        wallSeconds: Number(r.runner.wallSeconds.toFixed(2)),
        recordsPerSecond: Math.round(rate(r, r.runner)),
        peakProcessRssMiB: Math.round(r.runner.peakProcessRssBytes / 2 ** 20),
        peakTreeRssMiB: Math.round(r.runner.peakTreeRssBytes / 2 ** 20),
      },
      baseline: {
        wallSeconds: Number(r.baseline.wallSeconds.toFixed(2)),
        recordsPerSecond: Math.round(rate(r, r.baseline)),
        peakRssMiB: Math.round(r.baseline.peakProcessRssBytes / 2 ** 20),
      },
      throughputVsBaseline: Number((rate(r, r.runner) / rate(r, r.baseline)).toFixed(3)),
    })),
    memoryGrowth,
  })}\n`,
);
if (results.some((r) => !r.agree)) process.exitCode = 1;
