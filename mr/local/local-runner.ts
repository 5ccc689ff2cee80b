import { mkdir, readdir, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Bundles } from '../bundles.ts';
import { runLimited, runPipeline, type Stage } from './task-pipeline.ts';

/** How the local runner lays a job out over processes. */
export interface LocalRunnerOptions {
  readonly bundles: Bundles;
  /** Holds the intermediate files (map outputs, sort spills, job outputs) and the task logs. */
  readonly workDir: string;
  /** Map tasks of the join job; also the most tasks that run at once. */
  readonly mappers: number;
  /** Reduce tasks of the join job. */
  readonly reducers: number;
  /** Memory of each `sort` before it spills sorted runs to disk, in sort's syntax (`64M`). */
  readonly sortBuffer: string;
  /** The models' class lists (JSON `ManifestLabels`), given to the join reducer to check labels. */
  readonly classListsFile: string;
  readonly onProgress: (progress: JobProgress) => void;
  readonly signal: AbortSignal;
}

/** What the runner is doing, for a progress line. Counters are Hadoop's: `group` → `counter` → sum. */
export interface JobProgress {
  readonly job: 'join' | 'totals';
  readonly phase: 'map' | 'reduce';
  readonly tasksDone: number;
  readonly tasksTotal: number;
  readonly counters: ReadonlyMap<string, number>;
}

/** One Hadoop Streaming job, as the local runner runs it. */
interface StreamingJob {
  readonly name: 'join' | 'totals';
  readonly inputRoots: readonly string[];
  readonly mapTasks: number;
  readonly mapper: Stage;
  readonly combiner?: Stage;
  readonly reducer: Stage;
  readonly reduceTasks: number;
  readonly outputDir: string;
}

/**
 * Runs the two jobs the way Hadoop Streaming would, on this machine: the join job (predictions and
 * labels → partial counts per model, version and day) then the totals job (→ sums per day and per
 * model version). Input splits go to parallel map tasks (`split-reader | mapper | partitioner`), map
 * output is hash-partitioned to the reducers, the combiner runs on each sorted map output, and each
 * reducer reads its partition merged and sorted by `sort` (LC_ALL=C, spilling to disk past
 * `sortBuffer`), so no process holds more than a buffer of records. Returns the totals job's lines.
 */
export async function runLocalJobs(inputDir: string, options: LocalRunnerOptions): Promise<string[]> {
  const { bundles, workDir } = options;
  const node = (bundle: string, ...args: string[]): Stage => ({
    command: process.execPath,
    args: [bundle, ...args],
  });
  const counters = new Map<string, number>();
  const join: StreamingJob = {
    name: 'join',
    inputRoots: [path.join(inputDir, 'predictions'), path.join(inputDir, 'labels')],
    mapTasks: options.mappers,
    mapper: node(bundles['join-mapper']),
    reducer: node(bundles['join-reducer'], options.classListsFile),
    reduceTasks: options.reducers,
    outputDir: path.join(workDir, 'join'),
  };
  await runJob(join, counters, options);
  const totals: StreamingJob = {
    name: 'totals',
    inputRoots: [join.outputDir],
    mapTasks: Math.min(options.mappers, options.reducers),
    mapper: node(bundles['totals-mapper']),
    combiner: node(bundles['merge-counts'], 'combine'),
    reducer: node(bundles['merge-counts'], 'reduce'),
    reduceTasks: 1,
    outputDir: path.join(workDir, 'totals'),
  };
  await runJob(totals, counters, options);
  const parts = (await readdir(totals.outputDir)).filter((name) => name.startsWith('part-')).sort();
  const lines: string[] = [];
  for (const part of parts) {
    for (const line of (await readFile(path.join(totals.outputDir, part), 'utf8')).split('\n')) {
      if (line !== '') lines.push(line);
    }
  }
  return lines;
}

async function runJob(
  job: StreamingJob,
  counters: Map<string, number>,
  options: LocalRunnerOptions,
): Promise<void> {
  const mapDir = path.join(options.workDir, `${job.name}-map`);
  const logDir = path.join(options.workDir, 'logs');
  const tmpDir = path.join(options.workDir, 'sort-tmp');
  await Promise.all([
    mkdir(job.outputDir, { recursive: true }),
    mkdir(logDir, { recursive: true }),
    mkdir(tmpDir, { recursive: true }),
  ]);
  const onCounter = (group: string, counter: string, amount: number) => {
    const key = `${group}.${counter}`;
    counters.set(key, (counters.get(key) ?? 0) + amount);
  };
  const sort = (files: string[]): Stage => ({
    command: 'sort',
    // Whole-line byte order groups each key's lines together (a key is followed by a tab).
    args: ['-S', options.sortBuffer, '--parallel=1', '-T', tmpDir, ...files],
    env: { LC_ALL: 'C' },
  });

  let phase: 'map' | 'reduce' = 'map';
  let done = 0;
  const report = () =>
    options.onProgress({
      job: job.name,
      phase,
      tasksDone: done,
      tasksTotal: phase === 'map' ? job.mapTasks : job.reduceTasks,
      counters,
    });
  report();
  const progress = setInterval(report, 1000);
  try {
    const mapTasks = Array.from({ length: job.mapTasks }, (_, i) => async (signal: AbortSignal) => {
      const dir = path.join(mapDir, String(i));
      await mkdir(dir, { recursive: true });
      await runPipeline(
        [
          plumbing(options, 'split-reader', String(i), String(job.mapTasks), ...job.inputRoots),
          job.mapper,
          plumbing(options, 'partitioner', String(job.reduceTasks), dir),
        ],
        {
          name: `${job.name}-map-${i}`,
          logFile: path.join(logDir, `${job.name}-map-${i}.log`),
          onCounter,
          signal,
        },
      );
      if (job.combiner) {
        for (let r = 0; r < job.reduceTasks; r++) {
          const part = path.join(dir, `part-${r}`);
          await runPipeline([sort([part]), job.combiner], {
            name: `${job.name}-combine-${i}-${r}`,
            stdoutFile: `${part}.combined`,
            logFile: path.join(logDir, `${job.name}-combine-${i}.log`),
            onCounter,
            signal,
          });
          await rename(`${part}.combined`, part);
        }
      }
      done += 1;
    });
    await runLimited(mapTasks, options.mappers, options.signal);

    phase = 'reduce';
    done = 0;
    report();
    const reduceTasks = Array.from({ length: job.reduceTasks }, (_, r) => async (signal: AbortSignal) => {
      const inputs = Array.from({ length: job.mapTasks }, (_, i) =>
        path.join(mapDir, String(i), `part-${r}`),
      );
      await runPipeline([sort(inputs), job.reducer], {
        name: `${job.name}-reduce-${r}`,
        stdoutFile: path.join(job.outputDir, `part-${String(r).padStart(5, '0')}`),
        logFile: path.join(logDir, `${job.name}-reduce-${r}.log`),
        onCounter,
        signal,
      });
      done += 1;
    });
    await runLimited(reduceTasks, options.mappers, options.signal);
    report();
  } finally {
    clearInterval(progress);
  }
}

/** The runner's own programs: the record reader and the map-output partitioner. */
function plumbing(
  options: LocalRunnerOptions,
  program: 'split-reader' | 'partitioner',
  ...args: string[]
): Stage {
  return { command: process.execPath, args: [options.bundles[program], ...args] };
}
