import type { LocalJobProgress } from './local-accuracy-job.ts';

/**
 * One status line on stderr: rewritten in place on a terminal, printed every few seconds (and when the
 * step changes) otherwise, so logs stay readable.
 */
export class ProgressLine {
  private last = '';
  private lastStep = '';
  private lastPrintedAt = 0;
  private readonly started = Date.now();

  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 5000,
  ) {}

  update(progress: LocalJobProgress): void {
    const text = `${describeProgress(progress)} · ${((Date.now() - this.started) / 1000).toFixed(1)} s`;
    const step = progress.step === 'job' ? `${progress.job}-${progress.phase}` : progress.step;
    if (this.stream.isTTY) {
      this.stream.write(`\r\x1b[2K${text}`);
      this.last = text;
    } else if (step !== this.lastStep || Date.now() - this.lastPrintedAt >= this.everyMs) {
      this.stream.write(`${text}\n`);
      this.lastPrintedAt = Date.now();
    }
    this.lastStep = step;
  }

  /** Ends the line on a terminal, so what follows starts on its own. */
  end(): void {
    if (this.stream.isTTY && this.last !== '') this.stream.write('\n');
    this.last = '';
  }
}

const num = (v: number) => v.toLocaleString('en');

function describeProgress(p: LocalJobProgress): string {
  if (p.step === 'staging')
    return `staging records from S3 · ${num(p.objects)} objects, ${(p.bytes / 1e6).toFixed(1)} MB`;
  if (p.step === 'publishing') return 'writing the report';
  const counter = (name: string) => p.counters.get(`pictor-accuracy.${name}`) ?? 0;
  let malformed = 0;
  for (const [name, value] of p.counters)
    if (name.startsWith('pictor-accuracy.malformed.')) malformed += value;
  const detail =
    p.job === 'join' && p.phase === 'map'
      ? `${num(counter('map_input_lines'))} lines read, ${num(malformed)} malformed`
      : p.job === 'join'
        ? `${num(counter('reduce_uploads'))} uploads joined`
        : 'summing partial counts';
  return `${p.job} job · ${p.phase} ${p.tasksDone}/${p.tasksTotal} tasks done · ${detail}`;
}
