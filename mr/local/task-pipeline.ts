import { type ChildProcess, spawn } from 'node:child_process';
import { once, setMaxListeners } from 'node:events';
import { closeSync, createWriteStream, openSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** One program of a task pipeline: `node mapper.js`, `sort …`. */
export interface Stage {
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
}

/** A counter update from a task's stderr (`reporter:counter:<group>,<counter>,<amount>`). */
export type CounterListener = (group: string, counter: string, amount: number) => void;

export interface PipelineOptions {
  /** Names the task in errors and logs, e.g. `join-map-0`. */
  readonly name: string;
  /** The last stage's stdout goes to this file; without it, it is discarded. */
  readonly stdoutFile?: string;
  /** Each stage's stderr (other than `reporter:` lines) is appended here. */
  readonly logFile: string;
  readonly onCounter: CounterListener;
  readonly signal: AbortSignal;
}

/** A task that exited with a failure status or was killed. */
export class TaskFailedError extends Error {
  override readonly name = 'TaskFailedError';
  constructor(
    readonly task: string,
    readonly program: string,
    readonly exitCode: number | null,
    readonly exitSignal: NodeJS.Signals | null,
    readonly stderrTail: readonly string[],
    readonly logFile: string,
  ) {
    super(
      `task ${task} failed: ${program} exited with ${exitSignal ?? `status ${exitCode}`}` +
        (stderrTail.length > 0 ? `\n  ${stderrTail.join('\n  ')}` : '') +
        `\n  (log: ${logFile})`,
    );
  }
}

const COUNTER_LINE = /^reporter:counter:([^,]*),([^,]*),(-?\d+)$/;
const TAIL_LINES = 12;

/**
 * Runs stages as one shell-like pipeline (`a | b | c > file`), each a separate process connected by OS
 * pipes, so the data never passes through this process. Resolves when every stage has exited with
 * status 0; otherwise rejects with a TaskFailedError naming the first stage that failed (a stage killed
 * by the broken pipe of a later failure does not count as the cause).
 */
export async function runPipeline(stages: readonly Stage[], options: PipelineOptions): Promise<void> {
  if (stages.length === 0) throw new Error('runPipeline: no stages');
  const log = createWriteStream(options.logFile, { flags: 'a' });
  const outFd = options.stdoutFile === undefined ? null : openSync(options.stdoutFile, 'w');
  const children: ChildProcess[] = [];
  const tails: string[][] = [];
  const stderrDone: Promise<void>[] = [];
  try {
    for (const [i, stage] of stages.entries()) {
      const previous = children[i - 1];
      const last = i === stages.length - 1;
      const child = spawn(stage.command, [...stage.args], {
        stdio: [previous?.stdout ?? 'ignore', last ? (outFd ?? 'ignore') : 'pipe', 'pipe'],
        env: { ...process.env, ...stage.env },
        signal: options.signal,
      });
      // The pipe now belongs to the next stage; this process must not read it.
      previous?.stdout?.destroy();
      child.on('error', () => {}); // reported through 'exit' / 'close' below
      const tail: string[] = [];
      tails.push(tail);
      const lines = createInterface({
        input: child.stderr as NodeJS.ReadableStream,
        crlfDelay: Number.POSITIVE_INFINITY,
      });
      lines.on('line', (line) => {
        const counter = COUNTER_LINE.exec(line);
        if (counter) {
          options.onCounter(counter[1] as string, counter[2] as string, Number(counter[3]));
          return;
        }
        if (line.startsWith('reporter:status:')) return;
        log.write(
          `[${options.name} ${stage.command === process.execPath ? 'node' : stage.command}] ${line}\n`,
        );
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
      });
      stderrDone.push(once(lines, 'close').then(() => {}));
      children.push(child);
    }
    const exits = await Promise.all(
      children.map(
        (child) =>
          new Promise<{ code: number | null; signal: NodeJS.Signals | null; error?: Error }>((resolve) => {
            child.once('error', (error) => resolve({ code: null, signal: null, error }));
            child.once('close', (code, signal) => resolve({ code, signal }));
          }),
      ),
    );
    await Promise.all(stderrDone);
    const failures = exits
      .map((exit, i) => ({ ...exit, i }))
      .filter((exit) => exit.error !== undefined || exit.code !== 0);
    if (failures.length > 0) {
      // A stage that died of SIGPIPE or EPIPE only followed the one that really failed.
      const cause =
        failures.find(
          (f) => f.signal !== 'SIGPIPE' && !(tails[f.i] ?? []).some((l) => l.includes('EPIPE')),
        ) ?? (failures[0] as (typeof failures)[number]);
      const stage = stages[cause.i] as Stage;
      const program = [
        stage.command === process.execPath ? 'node' : stage.command,
        ...stage.args.slice(0, 1),
      ].join(' ');
      const tail = cause.error ? [cause.error.message, ...(tails[cause.i] ?? [])] : (tails[cause.i] ?? []);
      throw new TaskFailedError(options.name, program, cause.code, cause.signal, tail, options.logFile);
    }
  } finally {
    if (outFd !== null) closeSync(outFd);
    log.end();
    await once(log, 'close').catch(() => {});
  }
}

/** Runs `tasks` with at most `limit` at a time; the first failure aborts the rest and is thrown. */
export async function runLimited(
  tasks: ReadonlyArray<(signal: AbortSignal) => Promise<void>>,
  limit: number,
  outer: AbortSignal,
): Promise<void> {
  const controller = new AbortController();
  // Every process of every task listens to this signal.
  setMaxListeners(0, controller.signal);
  const onAbort = () => controller.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (next < tasks.length && failure === null && !controller.signal.aborted) {
      const task = tasks[next++] as (signal: AbortSignal) => Promise<void>;
      try {
        await task(controller.signal);
      } catch (error) {
        if (failure === null) failure = error;
        controller.abort(error);
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, tasks.length)) }, worker));
  } finally {
    outer.removeEventListener('abort', onAbort);
  }
  if (failure !== null) throw failure;
  if (outer.aborted) throw outer.reason;
}
