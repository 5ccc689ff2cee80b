import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeBytesElements } from '../../contracts/inference-api.ts';
import { mnistDigitImage, notAnImage } from '../../test/support/images.ts';
import type { RunningGpuHost } from '../gpu-host.ts';
import {
  capturingLogger,
  parseMetrics,
  postInfer,
  repositoryWithQueueDelay,
  startTestHost,
  type temporaryRepository,
} from './support.ts';

const tensorRequest = (batch = 1) => ({
  inputs: [
    { name: 'input', shape: [batch, 1, 28, 28], datatype: 'FP32', data: new Array(batch * 784).fill(0.5) },
  ],
});

function imageRequest(url: string, image: Uint8Array): Promise<Response> {
  const tensor = encodeBytesElements([image]);
  return postInfer(
    url,
    {
      inputs: [
        { name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: tensor.length } },
      ],
    },
    [tensor],
  );
}

describe('metrics, request ids and logs', () => {
  let host: RunningGpuHost;
  let capture: ReturnType<typeof capturingLogger>;
  beforeAll(async () => {
    capture = capturingLogger('debug');
    host = await startTestHost({}, capture.log);
  });
  afterAll(async () => {
    await host?.close();
  });

  it('exposes Prometheus metrics: requests and failures per model and route, latency, queue, batches, images', async () => {
    const infer = `${host.url}/v2/models/digits/versions/1/infer`;
    expect((await postInfer(infer, tensorRequest(2))).status).toBe(200);
    expect((await postInfer(infer, { inputs: [] })).status).toBe(400);
    expect((await imageRequest(infer, await mnistDigitImage(5, 0))).status).toBe(200);
    expect((await imageRequest(infer, notAnImage())).status).toBe(415);
    expect((await fetch(`${host.url}/v2/models/fashion`)).status).toBe(200);

    const response = await fetch(`${host.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const metrics = parseMetrics(text);
    expect(metrics.get('gpu_host_requests_total{route="infer",model="digits"}')).toBe(4);
    expect(metrics.get('gpu_host_request_failures_total{route="infer",model="digits",status="400"}')).toBe(1);
    expect(metrics.get('gpu_host_request_failures_total{route="infer",model="digits",status="415"}')).toBe(1);
    expect(metrics.get('gpu_host_requests_total{route="model_metadata",model="fashion"}')).toBe(1);
    expect(metrics.get('gpu_host_request_duration_seconds_count{route="infer",model="digits"}')).toBe(4);
    expect(metrics.get('gpu_host_batch_size_sum{model="digits",version="1"}')).toBe(3);
    expect(metrics.get('gpu_host_queue_duration_seconds_count{model="digits",version="1"}')).toBe(2);
    expect(metrics.get('gpu_host_images_decoded_total{format="image/png"}')).toBe(1);
    expect(metrics.get('gpu_host_images_refused_total{reason="unsupported"}')).toBe(1);
    expect(text).toContain('# TYPE gpu_host_compute_duration_seconds histogram');
    expect(text).toContain('process_cpu_user_seconds_total');
  });

  it("answers under the caller's x-request-id and logs it", async () => {
    const response = await fetch(`${host.url}/v2/models/digits`, {
      headers: { 'x-request-id': 'trace-4711' },
    });
    expect(response.headers.get('x-request-id')).toBe('trace-4711');
    const line = capture.lines.find((l) => l.reqId === 'trace-4711');
    expect(line).toMatchObject({
      level: 20,
      route: 'model_metadata',
      model: 'digits',
      status: 200,
      msg: 'request answered',
    });
  });

  it('makes up a request id when there is none, and logs refusals with their reason', async () => {
    const response = await fetch(`${host.url}/v2/models/nope`);
    const id = response.headers.get('x-request-id');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(capture.lines.find((l) => l.reqId === id)).toMatchObject({
      level: 30,
      status: 404,
      msg: 'request refused',
      error: expect.stringContaining('"nope"'),
    });
  });
});

describe('execution providers from configuration', () => {
  it('falls back from cuda to cpu with a log line where CUDA is absent, and serves', async () => {
    const { log, lines } = capturingLogger('info');
    const host = await startTestHost({ EXECUTION_PROVIDERS: 'cuda,cpu' }, log);
    try {
      const fellBack = lines.find((l) => l.provider === 'cuda' && l.level === 40);
      const meta = (await fetch(`${host.url}/v2/models/digits`).then((r) => r.json())) as {
        parameters: { execution_provider: string };
      };
      if (fellBack) {
        expect(fellBack.msg).toBe('execution provider cuda is unavailable; trying the next one');
        expect(lines.find((l) => l.msg === 'model loaded' && l.model === 'digits')).toMatchObject({
          provider: 'cpu',
        });
        expect(meta.parameters.execution_provider).toBe('cpu');
      } else {
        // A machine with onnxruntime-node's CUDA libraries and a GPU: CUDA is used.
        expect(meta.parameters.execution_provider).toBe('cuda');
      }
      expect((await postInfer(`${host.url}/v2/models/digits/versions/1/infer`, tensorRequest())).status).toBe(
        200,
      );
    } finally {
      await host.close();
    }
  });
});

describe('graceful shutdown', () => {
  let repository: Awaited<ReturnType<typeof temporaryRepository>>;
  beforeAll(async () => {
    // A long queue delay keeps requests in flight long enough to close the host under them.
    repository = await repositoryWithQueueDelay(400_000);
  });
  afterAll(async () => {
    await repository?.remove();
  });

  /** Sends the headers and half a body now, the rest after `ms`. */
  function slowUpload(port: number, ms: number): Promise<number> {
    const body = Buffer.from(JSON.stringify(tensorRequest()));
    return new Promise((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v2/models/digits/versions/1/infer',
          headers: { 'content-length': body.length },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.write(body.subarray(0, 100));
      setTimeout(() => req.end(body.subarray(100)), ms);
    });
  }

  function connectionRefused(port: number): Promise<string> {
    return new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
  }

  it('stops accepting, answers every request in flight, then stops', async () => {
    const host = await startTestHost({ MODEL_REPOSITORY: repository.path });
    const url = `${host.url}/v2/models/digits/versions/1/infer`;
    const queued = Array.from({ length: 20 }, () => postInfer(url, tensorRequest()).then((r) => r.status));
    const slow = slowUpload(host.port, 300);
    const deadline = Date.now() + 5_000;
    while (host.inFlight() < 21 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(host.inFlight()).toBe(21);

    const closed = host.close();
    expect(await connectionRefused(host.port)).toBe('ECONNREFUSED');
    expect(await Promise.all(queued)).toEqual(new Array(20).fill(200));
    expect(await slow).toBe(200);
    await closed;
    expect(host.inFlight()).toBe(0);
  });
});
