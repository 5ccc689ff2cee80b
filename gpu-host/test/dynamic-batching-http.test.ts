import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { modelManifestSchema } from '../../contracts/model-manifest.ts';
import { mnistDigit } from '../../test/support/images.ts';
import type { Classifier } from '../classifier.ts';
import type { RunningGpuHost } from '../gpu-host.ts';
import { loadOnnxClassifier } from '../onnx-classifier.ts';
import { decodeFp32, encodeFp32 } from '../v2-binary.ts';
import { parseMetrics, postInfer, readInferResponse, startTestHost } from './support.ts';

const manifest = modelManifestSchema.parse(JSON.parse(readFileSync('models/digits/1/manifest.json', 'utf8')));
const ROW = 784;

/** `rows` different MNIST digits, starting at sample `first`. */
function rowsOf(first: number, rows: number): Float32Array {
  const data = new Float32Array(rows * ROW);
  for (let r = 0; r < rows; r++) {
    const i = first + r;
    data.set(
      Float32Array.from(mnistDigit(i % 10, Math.floor(i / 10)), (v) => v / 255),
      r * ROW,
    );
  }
  return data;
}

async function inferBinary(url: string, input: Float32Array, rows: number): Promise<Float32Array> {
  const tensor = encodeFp32(input);
  const response = await postInfer(
    url,
    {
      parameters: { binary_data_output: true },
      inputs: [
        {
          name: 'input',
          shape: [rows, 1, 28, 28],
          datatype: 'FP32',
          parameters: { binary_data_size: tensor.length },
        },
      ],
    },
    [tensor],
  );
  expect(response.status).toBe(200);
  const { binary } = await readInferResponse(response);
  return decodeFp32(binary[0] as Uint8Array);
}

async function batchHistogram(host: RunningGpuHost): Promise<{ runs: number; rows: number; single: number }> {
  const metrics = parseMetrics(await host.metrics.render());
  const labels = 'model="digits",version="1"';
  return {
    runs: metrics.get(`gpu_host_batch_size_count{${labels}}`) ?? 0,
    rows: metrics.get(`gpu_host_batch_size_sum{${labels}}`) ?? 0,
    single: metrics.get(`gpu_host_batch_size_bucket{le="1",${labels}}`) ?? 0,
  };
}

describe('dynamic batching over HTTP', () => {
  let reference: Classifier;
  beforeAll(async () => {
    reference = await loadOnnxClassifier(manifest, 'models/digits/1/model.onnx', {
      executionProviders: ['cpu'],
      intraOpThreads: 1,
    });
  });
  afterAll(async () => {
    await reference?.close();
  });

  /** Each caller's input: 1 row, or 3 rows for every seventh caller; all different. */
  const callers = Array.from({ length: 240 }, (_, c) => ({ first: c * 3, rows: c % 7 === 0 ? 3 : 1 }));

  async function expectOwnRows(host: RunningGpuHost): Promise<void> {
    const url = `${host.url}/v2/models/digits/versions/1/infer`;
    const answers = await Promise.all(
      callers.map(({ first, rows }) => inferBinary(url, rowsOf(first, rows), rows)),
    );
    for (const [c, { first, rows }] of callers.entries()) {
      const answer = answers[c] as Float32Array;
      expect(answer).toHaveLength(rows * 10);
      for (let r = 0; r < rows; r++) {
        // The batch-1 answer for this very row, computed alone.
        const alone = await reference.run(rowsOf(first + r, 1), 1);
        for (let j = 0; j < 10; j++) {
          expect(
            Math.abs((answer[r * 10 + j] as number) - (alone[j] as number)),
            `caller ${c} row ${r}`,
          ).toBeLessThan(1e-5);
        }
      }
    }
  }

  it('gathers many concurrent callers into batches and gives each exactly its own rows', async () => {
    // Triton's behaviour: every batch waits out the queue delay, so a burst of callers is gathered.
    const host = await startTestHost({ DYNAMIC_BATCHING: 'on', EAGER_BATCHING: 'off' });
    try {
      await expectOwnRows(host);
      const { runs, rows } = await batchHistogram(host);
      const totalRows = callers.reduce((sum, c) => sum + c.rows, 0);
      expect(rows).toBe(totalRows);
      // Batches formed: far fewer runs than requests.
      expect(runs).toBeLessThan(callers.length / 2);
      const queued = parseMetrics(await host.metrics.render()).get(
        'gpu_host_queue_duration_seconds_count{model="digits",version="1"}',
      );
      expect(queued).toBe(callers.length);
    } finally {
      await host.close();
    }
  });

  it('gives each caller its own rows with eager dispatch too', async () => {
    const host = await startTestHost({ DYNAMIC_BATCHING: 'on', EAGER_BATCHING: 'on' });
    try {
      await expectOwnRows(host);
      const { runs } = await batchHistogram(host);
      // How much it gathers depends on how fast the requests arrive; that it gathers some does not.
      expect(runs).toBeLessThan(callers.length);
    } finally {
      await host.close();
    }
  });

  it('runs each request on its own when batching is off, with the same answers', async () => {
    const host = await startTestHost({ DYNAMIC_BATCHING: 'off' });
    try {
      await expectOwnRows(host);
      const { runs } = await batchHistogram(host);
      expect(runs).toBe(callers.length);
    } finally {
      await host.close();
    }
  });
});
