import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBytesElements, encodeBytesElements } from '../../contracts/inference-api.ts';
import { mnistDigitImage, notAnImage, pngBomb, truncatedJpeg } from '../../test/support/images.ts';
import type { RunningGpuHost } from '../gpu-host.ts';
import { decodeFp32, encodeFp32 } from '../v2-binary.ts';
import { postInfer, readInferResponse, startTestHost } from './support.ts';

/**
 * Conformance with the Open Inference Protocol v2 REST API (kserve docs/predict-api/v2/required_api.md)
 * and Triton's binary tensor data, classification and model repository extensions
 * (triton-inference-server/server docs/protocol/extension_*.md), over the committed models.
 */

interface Golden {
  images: Array<{ label: number; pixels: number[]; probabilities: number[] }>;
}
const golden = JSON.parse(readFileSync('models/digits/2/golden.json', 'utf8')) as Golden;
const goldenInput = Float32Array.from(golden.images.flatMap((img) => img.pixels.map((v) => v / 255)));
const n = golden.images.length;

function expectGolden(probabilities: ArrayLike<number>): void {
  expect(probabilities).toHaveLength(n * 10);
  golden.images.forEach(({ probabilities: expected }, i) => {
    expected.forEach((p, j) => {
      expect(probabilities[i * 10 + j]).toBeCloseTo(p, 4);
    });
  });
}

const decoder = new TextDecoder();

describe('gpu-host over the Open Inference Protocol v2', () => {
  let host: RunningGpuHost;
  let infer: string;
  beforeAll(async () => {
    host = await startTestHost();
    infer = `${host.url}/v2/models/digits/infer`;
  });
  afterAll(async () => {
    await host?.close();
  });

  const get = (path: string) => fetch(`${host.url}${path}`);
  const errorOf = async (response: Response) => ((await response.json()) as { error: string }).error;

  describe('health', () => {
    it('answers server live and ready with 200 and the JSON bodies the spec shows', async () => {
      const live = await get('/v2/health/live');
      expect(live.status).toBe(200);
      expect(await live.json()).toEqual({ live: true });
      const ready = await get('/v2/health/ready');
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ ready: true });
    });

    it('answers model ready with and without a version, and 4xx for an unknown model or version', async () => {
      for (const path of [
        '/v2/models/digits/ready',
        '/v2/models/digits/versions/1/ready',
        '/v2/models/fashion/ready',
      ]) {
        const response = await get(path);
        expect(response.status, path).toBe(200);
        expect(await response.text()).toBe('');
      }
      expect((await get('/v2/models/nope/ready')).status).toBe(404);
      const unknownVersion = await get('/v2/models/digits/versions/9/ready');
      expect(unknownVersion.status).toBe(404);
      expect(await errorOf(unknownVersion)).toBe('model "digits" has no ready version "9"');
    });
  });

  describe('metadata', () => {
    it('describes the server and its extensions', async () => {
      const response = await get('/v2');
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({
        name: 'pictor-gpu-host',
        version: expect.any(String),
        extensions: [
          'binary_tensor_data',
          'classification',
          'model_repository',
          'model_configuration',
          'statistics',
        ],
      });
    });

    it('describes a model with a dynamic batch axis and both of its inputs, with and without a version', async () => {
      for (const path of ['/v2/models/digits', '/v2/models/digits/versions/2']) {
        const response = await get(path);
        expect(response.status).toBe(200);
        expect(await response.json()).toMatchObject({
          name: 'digits',
          versions: ['2', '1'],
          platform: 'onnxruntime_onnx',
          inputs: [
            { name: 'input', datatype: 'FP32', shape: [-1, 1, 28, 28] },
            { name: 'image', datatype: 'BYTES', shape: [-1] },
          ],
          outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
          parameters: { display_name: 'Handwritten digits', max_batch_size: 64, execution_provider: 'cpu' },
        });
      }
    });

    it('answers 404 with an error object for an unknown model or version', async () => {
      const unknown = await get('/v2/models/nope');
      expect(unknown.status).toBe(404);
      expect(await errorOf(unknown)).toContain('"nope"');
      expect((await get('/v2/models/digits/versions/3')).status).toBe(404);
    });

    it('indexes the repository (model repository extension)', async () => {
      const response = await fetch(`${host.url}/v2/repository/index`, {
        method: 'POST',
        body: '{"ready": true}',
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual([
        { name: 'digits', version: '2', state: 'READY', reason: '' },
        { name: 'digits', version: '1', state: 'READY', reason: '' },
        { name: 'fashion', version: '1', state: 'READY', reason: '' },
      ]);
      const empty = await fetch(`${host.url}/v2/repository/index`, { method: 'POST' });
      expect(empty.status).toBe(200);
    });
  });

  describe('infer with JSON tensors', () => {
    it('infers a batch given as flat data and matches the golden outputs, returning the id', async () => {
      const response = await postInfer(infer, {
        id: 'golden-batch',
        inputs: [{ name: 'input', shape: [n, 1, 28, 28], datatype: 'FP32', data: Array.from(goldenInput) }],
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const body = (await response.json()) as {
        id: string;
        model_name: string;
        model_version: string;
        outputs: Array<{ name: string; datatype: string; shape: number[]; data: number[] }>;
      };
      expect(body).toMatchObject({ id: 'golden-batch', model_name: 'digits', model_version: '2' });
      expect(body.outputs).toHaveLength(1);
      expect(body.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [n, 10] });
      expectGolden(body.outputs[0]?.data ?? []);
    });

    it('accepts data nested in the tensor shape', async () => {
      const nested = golden.images.map((img) => [
        Array.from({ length: 28 }, (_, r) => img.pixels.slice(r * 28, r * 28 + 28).map((v) => v / 255)),
      ]);
      const response = await postInfer(`${host.url}/v2/models/digits/versions/2/infer`, {
        inputs: [{ name: 'input', shape: [n, 1, 28, 28], datatype: 'FP32', data: nested }],
        outputs: [{ name: 'probabilities' }],
      });
      expect(response.status).toBe(200);
      const { json } = await readInferResponse(response);
      expectGolden(json.outputs[0]?.data as number[]);
    });

    it('returns classifications as "value:index:label" BYTES of shape [batch, k]', async () => {
      const response = await postInfer(infer, {
        inputs: [{ name: 'input', shape: [n, 1, 28, 28], datatype: 'FP32', data: Array.from(goldenInput) }],
        outputs: [{ name: 'probabilities', parameters: { classification: 2 } }],
      });
      const { json } = await readInferResponse(response);
      const output = json.outputs[0];
      expect(output).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [n, 2] });
      const strings = output?.data as string[];
      golden.images.forEach((img, i) => {
        const [value, index, label] = (strings[i * 2] as string).split(':');
        expect(Number(index)).toBe(img.label);
        expect(label).toBe(String(img.label));
        expect(Number(value)).toBeCloseTo(img.probabilities[img.label] as number, 4);
      });
    });

    it('flags each row out of distribution or not when the model has a threshold', async () => {
      // A square frame drawn where a digit would be: a shape, not a digit.
      const frame = Array.from({ length: 784 }, (_, i) => {
        const [x, y] = [i % 28, Math.floor(i / 28)];
        const inBox = x >= 4 && x <= 23 && y >= 4 && y <= 23;
        return inBox && (x <= 6 || x >= 21 || y <= 6 || y >= 21) ? 1 : 0;
      });
      const response = await postInfer(infer, {
        inputs: [
          {
            name: 'input',
            shape: [2, 1, 28, 28],
            datatype: 'FP32',
            data: [...goldenInput.slice(0, 784), ...frame],
          },
        ],
        outputs: [{ name: 'probabilities', parameters: { classification: 1 } }],
      });
      const { json } = await readInferResponse(response);
      expect(json.outputs[0]?.parameters).toMatchObject({ out_of_distribution: 'false,true' });
    });
  });

  describe('infer with the binary tensor data extension', () => {
    it('takes binary FP32 input and returns binary FP32 output, parsed back to the golden values', async () => {
      const tensor = encodeFp32(goldenInput);
      const response = await postInfer(
        infer,
        {
          inputs: [
            {
              name: 'input',
              shape: [n, 1, 28, 28],
              datatype: 'FP32',
              parameters: { binary_data_size: tensor.length },
            },
          ],
          outputs: [{ name: 'probabilities', parameters: { binary_data: true } }],
        },
        [tensor],
      );
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/octet-stream');
      const headerLength = Number(response.headers.get('inference-header-content-length'));
      expect(Number(response.headers.get('content-length'))).toBe(headerLength + n * 10 * 4);
      const { json, binary } = await readInferResponse(response);
      expect(json.outputs[0]).toEqual({
        name: 'probabilities',
        datatype: 'FP32',
        shape: [n, 10],
        parameters: { binary_data_size: n * 10 * 4 },
      });
      expectGolden(decodeFp32(binary[0] as Uint8Array));
    });

    it('returns every output in binary with binary_data_output, classifications length-prefixed', async () => {
      const response = await postInfer(infer, {
        parameters: { binary_data_output: true },
        inputs: [{ name: 'input', shape: [n, 1, 28, 28], datatype: 'FP32', data: Array.from(goldenInput) }],
        outputs: [{ name: 'probabilities', parameters: { classification: 1 } }],
      });
      const { json, binary } = await readInferResponse(response);
      expect(json.outputs[0]).toMatchObject({ datatype: 'BYTES', shape: [n, 1] });
      const strings = decodeBytesElements(binary[0] as Uint8Array).map((e) => decoder.decode(e));
      expect(strings.map((s) => s.split(':')[2])).toEqual(golden.images.map((img) => String(img.label)));
    });
  });

  describe('infer with encoded images (the "image" input)', () => {
    const imageRequest = (images: Uint8Array[], k = 3) => {
      const tensor = encodeBytesElements(images);
      return postInfer(
        infer,
        {
          inputs: [
            {
              name: 'image',
              shape: [images.length],
              datatype: 'BYTES',
              parameters: { binary_data_size: tensor.length },
            },
          ],
          outputs: [{ name: 'probabilities', parameters: { classification: k } }],
        },
        [tensor],
      );
    };

    it('decodes and classifies every accepted format', async () => {
      for (const format of ['png', 'jpeg', 'webp', 'gif'] as const) {
        const response = await imageRequest([await mnistDigitImage(4, 1, format)]);
        expect(response.status, format).toBe(200);
        const { json } = await readInferResponse(response);
        expect(json.outputs[0]?.shape).toEqual([1, 3]);
        expect((json.outputs[0]?.data as string[] | undefined)?.[0]).toMatch(/^0\.\d+:4:4$|^1:4:4$/);
      }
    });

    it('classifies a batch of different images, each in its own row', async () => {
      const response = await imageRequest(
        [await mnistDigitImage(2, 0), await mnistDigitImage(7, 0), await mnistDigitImage(0, 3)],
        1,
      );
      const { json } = await readInferResponse(response);
      expect(json.outputs[0]?.shape).toEqual([3, 1]);
      expect((json.outputs[0]?.data as string[] | undefined)?.map((s) => s.split(':')[2])).toEqual([
        '2',
        '7',
        '0',
      ]);
    });

    it('refuses what is not an image with 415, a truncated image with 415 and a bomb with 413, naming the element', async () => {
      const text = await imageRequest([await mnistDigitImage(1, 1), notAnImage()]);
      expect(text.status).toBe(415);
      expect(await text.json()).toEqual({
        error: 'image[1]: the bytes are not a PNG, JPEG, WebP or GIF image',
        code: 'unsupported_image',
      });
      const truncated = await imageRequest([await truncatedJpeg()]);
      expect(truncated.status).toBe(415);
      expect(await errorOf(truncated)).toMatch(/^image\[0\]: the image\/jpeg image could not be decoded/);
      // Refused from its header (the pixel count), before anything is decoded: the message says so.
      const bomb = await imageRequest([await pngBomb()]);
      expect(bomb.status).toBe(413);
      expect(await errorOf(bomb)).toMatch(/^image\[0\]: the image\/png image has more than 24000000 pixels/);
    });
  });

  describe('errors name the wrong field with a 4xx status', () => {
    const tensorInput = (batch: number, data: unknown = new Array(batch * 784).fill(0)) => ({
      name: 'input',
      shape: [batch, 1, 28, 28],
      datatype: 'FP32',
      data,
    });

    it('refuses bad shapes and wrong datatypes', async () => {
      const cases: Array<[unknown, string | RegExp]> = [
        [
          { inputs: [{ ...tensorInput(1), shape: [1, 28, 28] }] },
          /^inputs\[0\]\.shape: expected \[batch, 1, 28, 28\]/,
        ],
        [
          { inputs: [{ ...tensorInput(1), datatype: 'INT8' }] },
          'inputs[0].datatype: expected FP32, got INT8',
        ],
        [{ inputs: [tensorInput(2, new Array(784).fill(0))] }, /needs 1568 elements, got 784/],
        [{ inputs: [tensorInput(65)] }, 'inputs[0].shape: batch size must be 1..64 for "digits", got 65'],
        [
          { inputs: [{ name: 'image', shape: [1], datatype: 'FP32', data: [0] }] },
          'inputs[0].datatype: "image" is BYTES, got FP32',
        ],
        [{ inputs: [{ ...tensorInput(1), name: 'x' }] }, /^inputs\[0\]\.name: /],
        [
          {
            inputs: [tensorInput(1)],
            outputs: [{ name: 'probabilities', parameters: { classification: 0 } }],
          },
          /^outputs\[0\]\.parameters\.classification: /,
        ],
        [{ inputs: 'none' }, /^inputs: /],
      ];
      for (const [request, message] of cases) {
        const response = await postInfer(infer, request);
        expect(response.status, JSON.stringify(request).slice(0, 80)).toBe(400);
        const body = (await response.json()) as { error: string };
        expect(body.error).toMatch(message);
      }
      const notJson = await fetch(infer, { method: 'POST', body: '{"inputs": [' });
      expect(notJson.status).toBe(400);
      expect(await errorOf(notJson)).toBe('body: the JSON object is not valid JSON');
    });

    it('refuses unknown models and unknown versions with 404', async () => {
      const request = { inputs: [tensorInput(1)] };
      const model = await postInfer(`${host.url}/v2/models/nope/infer`, request);
      expect(model.status).toBe(404);
      expect(await errorOf(model)).toMatch(/^model "nope" is not loaded/);
      const version = await postInfer(`${host.url}/v2/models/digits/versions/7/infer`, request);
      expect(version.status).toBe(404);
      expect(await errorOf(version)).toBe('model "digits" has no ready version "7"');
    });

    it('refuses truncated binary bodies', async () => {
      const tensor = encodeFp32(new Float32Array(784));
      const header = {
        inputs: [
          { name: 'input', shape: [1, 1, 28, 28], datatype: 'FP32', parameters: { binary_data_size: 3136 } },
        ],
      };
      const json = Buffer.from(JSON.stringify(header));

      // Inference-Header-Content-Length larger than the whole body.
      const cut = await fetch(infer, {
        method: 'POST',
        headers: { 'inference-header-content-length': String(json.length + 5000) },
        body: Buffer.concat([json, tensor.subarray(0, 100)]),
      });
      expect(cut.status).toBe(400);
      expect(await errorOf(cut)).toBe(
        `inference-header-content-length: ${json.length + 5000} is larger than the body (${json.length + 100} bytes)`,
      );

      // binary_data_size promising more than follows the JSON.
      const short = await fetch(infer, {
        method: 'POST',
        headers: { 'inference-header-content-length': String(json.length) },
        body: Buffer.concat([json, tensor.subarray(0, 3000)]),
      });
      expect(short.status).toBe(400);
      expect(await errorOf(short)).toMatch(
        /^inputs\[0\]\.parameters\.binary_data_size: 3136 bytes declared but only 3000/,
      );

      // Bytes left over that no binary_data_size accounts for.
      const long = await fetch(infer, {
        method: 'POST',
        headers: { 'inference-header-content-length': String(json.length) },
        body: Buffer.concat([json, tensor, Buffer.alloc(8)]),
      });
      expect(long.status).toBe(400);
      expect(await errorOf(long)).toBe(
        'inputs[*].parameters.binary_data_size: the sizes add up to 3136 bytes but 3144 bytes of binary data follow the JSON',
      );

      // Binary data sent without the header: the whole body is taken as JSON, which it is not.
      const noHeader = await fetch(infer, { method: 'POST', body: Buffer.concat([json, tensor]) });
      expect(noHeader.status).toBe(400);

      // A BYTES element whose length prefix runs past the end.
      const element = encodeBytesElements([await mnistDigitImage(3, 0)]);
      const imageHeader = Buffer.from(
        JSON.stringify({
          inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 40 } }],
        }),
      );
      const cutImage = await fetch(infer, {
        method: 'POST',
        headers: { 'inference-header-content-length': String(imageHeader.length) },
        body: Buffer.concat([imageHeader, element.subarray(0, 40)]),
      });
      expect(cutImage.status).toBe(400);
      expect(await errorOf(cutImage)).toMatch(
        /^inputs\[0\] binary data: element 0 declares \d+ bytes but only 36 remain$/,
      );
    });

    it('answers 405 for a wrong method and 404 for an unknown route', async () => {
      const wrong = await fetch(`${host.url}/v2/models/digits/infer`);
      expect(wrong.status).toBe(405);
      expect(wrong.headers.get('allow')).toBe('POST');
      expect(await errorOf(wrong)).toMatch(/GET is not allowed/);
      expect((await get('/v2/nothing/here')).status).toBe(404);
      const malformed = await get('/v2/models/%E0%A4%A');
      expect(malformed.status).toBe(400);
      expect(await errorOf(malformed)).toBe('path: malformed percent-encoding');
    });

    it('refuses model control unless MODEL_CONTROL_MODE=explicit', async () => {
      const response = await fetch(`${host.url}/v2/repository/models/digits/unload`, { method: 'POST' });
      expect(response.status).toBe(400);
      expect(await errorOf(response)).toMatch(/MODEL_CONTROL_MODE=explicit/);
    });
  });

  describe('the image route (a convenience beside the protocol)', () => {
    const postBytes = (path: string, body: Uint8Array) =>
      fetch(`${host.url}${path}`, { method: 'POST', body: new Uint8Array(body) });

    it('classifies an encoded image into a verdict', async () => {
      const response = await postBytes(
        '/v2/models/digits/classify?top_k=3',
        await mnistDigitImage(4, 1, 'webp'),
      );
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        model: 'digits',
        modelVersion: '2',
        label: '4',
        outOfDistribution: false,
      });
    });

    it('refuses a top_k outside 1..classes and what is not an image', async () => {
      const k = await postBytes('/v2/models/digits/classify?top_k=11', await mnistDigitImage(4, 1));
      expect(k.status).toBe(400);
      expect(await errorOf(k)).toBe('top_k: must be an integer from 1 to 10, got "11"');
      expect((await postBytes('/v2/models/digits/classify', notAnImage())).status).toBe(415);
    });
  });
});
