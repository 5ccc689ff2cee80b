import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGpuHost } from '../gpu-host.ts';
import { encodeFp32 } from '../v2-binary.ts';
import { postInfer, readInferResponse, startTestHost } from './support.ts';

/**
 * A host sheds the load it cannot queue (issue 14): past MAX_QUEUE_SIZE requests waiting for a model,
 * more are answered 503 with Retry-After at once instead of waiting behind an ever longer queue, and
 * every request it did queue is answered in full.
 */
describe('load shedding', () => {
  let host: RunningGpuHost;
  beforeAll(async () => {
    // One instance, no gathering, a queue of two: a burst of large requests must overflow it.
    host = await startTestHost({ MAX_QUEUE_SIZE: '2', DYNAMIC_BATCHING: 'off', MODEL_INSTANCES: '1' });
  });
  afterAll(async () => {
    await host?.close();
  });

  it('answers a burst past the queue bound with 503 and Retry-After, and every accepted request in full', async () => {
    const rows = 64;
    const tensor = encodeFp32(new Float32Array(rows * 784).fill(0.5));
    const request = () =>
      postInfer(
        `${host.url}/v2/models/digits/infer`,
        {
          inputs: [
            {
              name: 'input',
              shape: [rows, 1, 28, 28],
              datatype: 'FP32',
              parameters: { binary_data_size: tensor.length },
            },
          ],
          outputs: [{ name: 'probabilities', parameters: { classification: 1 } }],
        },
        [tensor],
      );
    const responses = await Promise.all(Array.from({ length: 60 }, request));

    const shed = responses.filter((r) => r.status === 503);
    const accepted = responses.filter((r) => r.status === 200);
    expect(shed.length + accepted.length).toBe(responses.length);
    expect(shed.length).toBeGreaterThan(0);
    expect(accepted.length).toBeGreaterThanOrEqual(3);
    for (const r of shed) {
      expect(r.headers.get('retry-after')).toBe('1');
      expect(await r.json()).toMatchObject({
        code: 'queue_full',
        error: expect.stringMatching(/MAX_QUEUE_SIZE/),
      });
    }
    for (const r of accepted) {
      const { json } = await readInferResponse(r);
      expect(json.outputs[0]?.shape).toEqual([rows, 1]);
    }

    // The queue drained: the host takes requests again.
    expect((await request()).status).toBe(200);
  });
});
