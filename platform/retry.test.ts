import { describe, expect, it } from 'vitest';
import { TransientError, tryTimeout, withRetries } from './retry.ts';

describe('withRetries', () => {
  it('retries transient failures until one succeeds', async () => {
    let calls = 0;
    const value = await withRetries({ attempts: 3, baseDelayMs: 1 }, async () => {
      if (++calls < 3) throw new TransientError('down');
      return 'ok';
    });
    expect({ value, calls }).toEqual({ value: 'ok', calls: 3 });
  });

  it('starts no try after the deadline: the tries are planned from the time left', async () => {
    let calls = 0;
    const deadline = Date.now() + 50;
    await expect(
      withRetries({ attempts: 10, baseDelayMs: 100, deadline }, async () => {
        calls++;
        throw new TransientError('down');
      }),
    ).rejects.toThrow('down');
    expect(calls).toBe(1);
  });

  it('does not retry a failure that is not transient', async () => {
    let calls = 0;
    await expect(
      withRetries({ attempts: 3, baseDelayMs: 1 }, async () => {
        calls++;
        throw new Error('bad request');
      }),
    ).rejects.toThrow('bad request');
    expect(calls).toBe(1);
  });
});

describe('tryTimeout', () => {
  it('never lets a try run past the deadline', () => {
    expect(tryTimeout(10_000, undefined)).toBe(10_000);
    const left = tryTimeout(10_000, Date.now() + 2_000);
    expect(left).toBeGreaterThan(1_000);
    expect(left).toBeLessThanOrEqual(2_000);
    expect(tryTimeout(10_000, Date.now() - 5)).toBe(50);
  });
});
