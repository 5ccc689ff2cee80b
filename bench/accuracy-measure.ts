import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** What a command and all its descendants took. */
export interface TreeMeasurement {
  readonly exitCode: number | null;
  readonly wallSeconds: number;
  /** The largest resident set of any one process (its VmHWM, the kernel's high-water mark). */
  readonly peakProcessRssBytes: number;
  /** The largest sum of resident sets of the processes alive at one sample. */
  readonly peakTreeRssBytes: number;
  /** Distinct processes seen. */
  readonly processes: number;
  /** The largest resident set per program (`node join-mapper.js`, `sort`, …). */
  readonly peakByProgram: Readonly<Record<string, number>>;
  readonly stdout: string;
  readonly stderr: string;
}

const SAMPLE_MS = 100;

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) : 0;
  } catch {
    return 0; // gone between listing and reading
  }
}

/** A short name for a process: the program and, for node, its script. */
function programOf(pid: number): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);
    const program = base(argv[0] ?? '?');
    if (program !== 'node') return program;
    const script = argv.slice(1).find((a) => /\.(m?js|ts)$/.test(a));
    return script ? `node ${base(script)}` : 'node';
  } catch {
    return '?';
  }
}

/** The pid's descendants, from /proc/<pid>/task/<tid>/children. */
function descendants(root: number): number[] {
  const found: number[] = [];
  const stack = [root];
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ')) {
        if (child.trim() === '') continue;
        found.push(Number(child));
        stack.push(Number(child));
      }
    }
  }
  return found;
}

/**
 * Runs a command and samples the resident memory of it and every process it starts, every 100 ms,
 * from /proc: per process the high-water mark (VmHWM, so short peaks between samples still count),
 * and the sum over the processes alive at each sample.
 */
export async function measureCommand(command: string, args: readonly string[]): Promise<TreeMeasurement> {
  const started = process.hrtime.bigint();
  const child: ChildProcess = spawn(command, [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const peakByPid = new Map<number, number>();
  const programByPid = new Map<number, string>();
  let peakTreeKb = 0;
  const sample = () => {
    const root = child.pid;
    if (root === undefined) return;
    let sum = 0;
    for (const pid of [root, ...descendants(root)]) {
      const rss = statusKb(pid, 'VmRSS');
      const hwm = statusKb(pid, 'VmHWM');
      sum += rss;
      peakByPid.set(pid, Math.max(peakByPid.get(pid) ?? 0, hwm, rss));
      if (!programByPid.has(pid)) programByPid.set(pid, programOf(pid));
    }
    peakTreeKb = Math.max(peakTreeKb, sum);
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  clearInterval(timer);
  const peakByProgram: Record<string, number> = {};
  for (const [pid, kb] of peakByPid) {
    const program = programByPid.get(pid) ?? '?';
    peakByProgram[program] = Math.max(peakByProgram[program] ?? 0, kb * 1024);
  }
  return {
    peakByProgram,
    exitCode,
    wallSeconds: Number(process.hrtime.bigint() - started) / 1e9,
    peakProcessRssBytes: Math.max(0, ...peakByPid.values()) * 1024,
    peakTreeRssBytes: peakTreeKb * 1024,
    processes: peakByPid.size,
    stdout,
    stderr,
  };
}
