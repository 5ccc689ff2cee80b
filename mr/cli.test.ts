import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestReportPointerSchema } from '../contracts/reports.ts';
import { syntheticRecords, writeSyntheticDir } from './testing/synthetic-records.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'pictor-mr-cli-'));
  writeSyntheticDir(
    path.join(dir, 'bucket'),
    syntheticRecords({ uploads: 200, seed: 3, malformedEvery: 50 }),
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function accuracy(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'mr/cli.ts', ...args], { cwd: process.cwd() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run accuracy', () => {
  it('over a folder: prints progress while it works, then the summary table, and writes the report beside the records', async () => {
    const out = path.join(dir, 'reports-out');
    const run = await accuracy(
      '--input',
      path.join(dir, 'bucket'),
      '--output',
      out,
      '--run-id',
      'cli-run',
      '--mappers',
      '2',
    );
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/join job · map \d\/2 tasks done/);
    expect(run.stderr).toMatch(/totals job · reduce/);
    expect(run.stdout).toMatch(
      /^model\s+version\s+volunteered\s+accuracy\s+asked\s+asked acc.\s+macro F1\s+kappa\s+ECE\s+device agrees\s+days$/m,
    );
    expect(run.stdout).toMatch(/^digits\s+1\s+\d+\s+\d+\.\d\d %/m);
    expect(run.stdout).toContain('malformed lines');
    expect(run.stdout).toContain(`report: ${path.join(out, 'reports/cli-run/report.html')}`);
    const latest = latestReportPointerSchema.parse(
      JSON.parse(await readFile(path.join(out, 'reports/latest.json'), 'utf8')),
    );
    expect(latest.runId).toBe('cli-run');
  });

  it('explains a wrong command line and exits with status 2', async () => {
    const run = await accuracy('--emr');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--emr needs either --cluster-spec');
    expect(run.stderr).toContain('npm run accuracy -- [options]');
  });
});
