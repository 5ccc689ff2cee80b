import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encodeBytesElements, v2InferRequestSchema } from '../contracts/inference-api.ts';
import { modelManifestSchema } from '../contracts/model-manifest.ts';
import { encodeFp32, joinInferBody } from './v2-binary.ts';
import { parseInferRequest } from './v2-infer-request.ts';

const manifest = modelManifestSchema.parse(JSON.parse(readFileSync('models/digits/1/manifest.json', 'utf8')));

const json = (request: unknown) => Buffer.from(JSON.stringify(request));
const parse = (request: unknown) => parseInferRequest(json(request), undefined, manifest);
const binary = (request: unknown, ...chunks: Uint8Array[]) => {
  const { body, jsonLength } = joinInferBody(request, chunks);
  return parseInferRequest(body, String(jsonLength), manifest);
};
const tensorInput = (batch: number, extra: Record<string, unknown> = {}) => ({
  name: 'input',
  shape: [batch, 1, 28, 28],
  datatype: 'FP32',
  ...extra,
});
const ramp = (n: number) => Array.from({ length: n }, (_, i) => (i % 256) / 255);

describe('parseInferRequest: the tensor input', () => {
  it('accepts flat JSON data', () => {
    const request = parse({ id: 'r1', inputs: [tensorInput(2, { data: ramp(1568) })] });
    expect(request.id).toBe('r1');
    expect(request.input).toMatchObject({ kind: 'tensor', batchSize: 2 });
    expect(request.input.kind === 'tensor' && request.input.data[1567]).toBeCloseTo(
      ramp(1568)[1567] as number,
      6,
    );
    expect(request.outputs).toEqual([{ name: 'probabilities', classification: undefined, binary: false }]);
  });

  it('accepts nested JSON data in its natural shape', () => {
    const image = Array.from({ length: 28 }, (_, r) =>
      Array.from({ length: 28 }, (_, c) => (r * 28 + c) / 784),
    );
    const request = parse({ inputs: [tensorInput(1, { data: [[image]] })] });
    expect(request.input.kind === 'tensor' && Array.from(request.input.data.subarray(28, 30))).toEqual([
      Math.fround(28 / 784),
      Math.fround(29 / 784),
    ]);
  });

  it('accepts binary FP32 data after the JSON', () => {
    const values = Float32Array.from(ramp(784));
    const request = binary(
      { inputs: [tensorInput(1, { parameters: { binary_data_size: 3136 } })] },
      encodeFp32(values),
    );
    expect(request.input.kind === 'tensor' && request.input.data).toEqual(values);
  });

  it('names the wrong field', () => {
    const cases: Array<[unknown, string | RegExp]> = [
      [
        { inputs: [tensorInput(1, { shape: [1, 28, 28], data: ramp(784) })] },
        /^inputs\[0\]\.shape: expected \[batch, 1, 28, 28\], got \[1,28,28\]$/,
      ],
      [
        { inputs: [tensorInput(1, { datatype: 'INT8', data: ramp(784) })] },
        'inputs[0].datatype: expected FP32, got INT8',
      ],
      [
        { inputs: [tensorInput(2, { data: ramp(784) })] },
        'inputs[0].data: shape [2,1,28,28] needs 1568 elements, got 784',
      ],
      [
        { inputs: [tensorInput(65, { data: [] })] },
        'inputs[0].shape: batch size must be 1..64 for "digits", got 65',
      ],
      [{ inputs: [tensorInput(0, { data: [] })] }, /batch size must be 1\.\.64 for "digits", got 0/],
      [
        { inputs: [tensorInput(1, { data: [...ramp(783), 'x'] })] },
        'inputs[0].data: every element must be a finite number, got "x"',
      ],
      [
        { inputs: [tensorInput(1, { data: [...ramp(783), null] })] },
        /every element must be a finite number, got null/,
      ],
      [{ inputs: [tensorInput(1)] }, /^inputs\[0\]\.data: missing/],
      [
        { inputs: [{ ...tensorInput(1, { data: ramp(784) }), name: 'pixels' }] },
        /^inputs\[0\]\.name: model "digits" has inputs "input" .* and "image" \(BYTES \[-1\]\), got "pixels"$/,
      ],
      [
        { inputs: [tensorInput(1, { data: ramp(784) }), tensorInput(1, { data: ramp(784) })] },
        /^inputs: model "digits" takes exactly one input/,
      ],
      [{ inputs: [] }, /^inputs: /],
      [{ inputs: [tensorInput(1, { shape: [1, -1, 28, 28], data: [] })] }, /^inputs\[0\]\.shape\[1\]: /],
      [{ id: 7, inputs: [tensorInput(1, { data: ramp(784) })] }, /^id: /],
      [
        { inputs: [tensorInput(1, { data: ramp(784) })], outputs: [{ name: 'logits' }] },
        'outputs[0].name: model "digits" has no output "logits"; it has "probabilities"',
      ],
      [
        {
          inputs: [tensorInput(1, { data: ramp(784) })],
          outputs: [{ name: 'probabilities' }, { name: 'probabilities' }],
        },
        'outputs[1].name: "probabilities" is requested twice',
      ],
      [
        {
          inputs: [tensorInput(1, { data: ramp(784) })],
          outputs: [{ name: 'probabilities', parameters: { classification: 1.5 } }],
        },
        'outputs[0].parameters.classification: must be a whole number of classes, 1 or more, got 1.5',
      ],
      [
        {
          inputs: [tensorInput(1, { data: ramp(784) })],
          outputs: [{ name: 'probabilities', parameters: { binary_data: 'yes' } }],
        },
        'outputs[0].parameters.binary_data: must be true or false, got "yes"',
      ],
      [
        { inputs: [tensorInput(1, { data: ramp(784) })], parameters: { binary_data_output: 1 } },
        'parameters.binary_data_output: must be true or false, got 1',
      ],
    ];
    for (const [request, message] of cases) {
      expect(() => parse(request), JSON.stringify(request).slice(0, 120)).toThrow(message);
    }
    expect(() => parseInferRequest(Buffer.from('{"inputs": ['), undefined, manifest)).toThrow(
      'body: the JSON object is not valid JSON',
    );
  });

  it('names the wrong field of binary data', () => {
    const tensor = encodeFp32(new Float32Array(784));
    expect(() =>
      binary({ inputs: [tensorInput(2, { parameters: { binary_data_size: 3136 } })] }, tensor),
    ).toThrow('inputs[0].parameters.binary_data_size: shape [2,1,28,28] of FP32 is 6272 bytes, got 3136');
    expect(() =>
      binary({ inputs: [tensorInput(1, { parameters: { binary_data_size: 6272 } })] }, tensor),
    ).toThrow(/^inputs\[0\]\.parameters\.binary_data_size: 6272 bytes declared but only 3136 bytes/);
    expect(() =>
      binary(
        { inputs: [tensorInput(1, { data: ramp(784), parameters: { binary_data_size: 3136 } })] },
        tensor,
      ),
    ).toThrow('inputs[0]: give data or parameters.binary_data_size, not both');
  });
});

describe('parseInferRequest: the image input', () => {
  const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47);

  it('takes BYTES elements from binary data, one per batch row', () => {
    const tensor = encodeBytesElements([png, Uint8Array.of(1, 2, 3)]);
    const request = binary(
      {
        inputs: [
          { name: 'image', shape: [2], datatype: 'BYTES', parameters: { binary_data_size: tensor.length } },
        ],
      },
      tensor,
    );
    expect(request.input.kind).toBe('images');
    expect(request.input.kind === 'images' && request.input.images.map((i) => Array.from(i))).toEqual([
      [0x89, 0x50, 0x4e, 0x47],
      [1, 2, 3],
    ]);
  });

  it('takes BYTES elements from JSON strings as their UTF-8 bytes', () => {
    const request = parse({ inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', data: ['hé'] }] });
    expect(request.input.kind === 'images' && Array.from(request.input.images[0] ?? [])).toEqual([
      0x68, 0xc3, 0xa9,
    ]);
  });

  it('names the wrong field', () => {
    const tensor = encodeBytesElements([png]);
    const image = (extra: Record<string, unknown>) => ({
      name: 'image',
      shape: [1],
      datatype: 'BYTES',
      ...extra,
    });
    expect(() => parse({ inputs: [image({ datatype: 'FP32', data: ['x'] })] })).toThrow(
      'inputs[0].datatype: "image" is BYTES, got FP32',
    );
    expect(() => parse({ inputs: [image({ shape: [1, 1], data: ['x'] })] })).toThrow(
      'inputs[0].shape: "image" is [batch], one encoded image per row, got [1,1]',
    );
    expect(() => parse({ inputs: [image({ shape: [2], data: ['x'] })] })).toThrow(
      'inputs[0].data: shape [2] needs 2 elements, got 1',
    );
    expect(() => parse({ inputs: [image({ data: [3] })] })).toThrow(
      'inputs[0].data: BYTES elements must be strings, got 3',
    );
    expect(() =>
      binary({ inputs: [image({ parameters: { binary_data_size: tensor.length } })] }, tensor.subarray(0, 6)),
    ).toThrow(/^inputs\[0\]\.parameters\.binary_data_size: 8 bytes declared but only 6 bytes/);
    const lying = Uint8Array.from(tensor);
    lying[0] = 200; // the element claims 200 bytes; 4 follow
    expect(() =>
      binary({ inputs: [image({ parameters: { binary_data_size: lying.length } })] }, lying),
    ).toThrow('inputs[0] binary data: element 0 declares 200 bytes but only 4 remain');
  });
});

describe('parseInferRequest: outputs', () => {
  it('clamps a classification larger than the class count to every class, as Triton does', () => {
    const request = parse({
      inputs: [tensorInput(1, { data: ramp(784) })],
      outputs: [{ name: 'probabilities', parameters: { classification: 11 } }],
    });
    expect(request.outputs).toEqual([{ name: 'probabilities', classification: 10, binary: false }]);
  });

  it('reads classification and binary_data per output, binary_data_output as the default', () => {
    const request = parse({
      parameters: { binary_data_output: true },
      inputs: [tensorInput(1, { data: ramp(784) })],
      outputs: [{ name: 'probabilities', parameters: { classification: 3 } }],
    });
    expect(request.outputs).toEqual([{ name: 'probabilities', classification: 3, binary: true }]);
    const overridden = parse({
      parameters: { binary_data_output: true },
      inputs: [tensorInput(1, { data: ramp(784) })],
      outputs: [{ name: 'probabilities', parameters: { binary_data: false } }],
    });
    expect(overridden.outputs[0]?.binary).toBe(false);
  });
});

describe('parseInferRequest: the JSON object', () => {
  /** The message the schema gives for a header it refuses: its first issue's path and message. */
  const schemaError = (header: unknown) => {
    const parsed = v2InferRequestSchema.safeParse(header);
    if (parsed.success) return undefined;
    const issue = parsed.error.issues[0];
    const path = (issue?.path ?? [])
      .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
      .join('');
    return `${path || 'body'}: ${issue?.message}`;
  };
  const valid = tensorInput(1, { data: ramp(784) });

  it('refuses every malformed header with the message the schema gives, naming the field', () => {
    const headers: unknown[] = [
      [],
      'inputs',
      null,
      {},
      { inputs: [] },
      { inputs: {} },
      { inputs: [null] },
      { inputs: [{ ...valid, name: '' }] },
      { inputs: [{ ...valid, name: 7 }] },
      { inputs: [{ ...valid, datatype: '' }] },
      { inputs: [{ ...valid, shape: [1, -1, 28, 28] }] },
      { inputs: [{ ...valid, shape: [1, 1.5, 28, 28] }] },
      { inputs: [{ ...valid, shape: '1x1' }] },
      { inputs: [{ ...valid, parameters: { binary_data_size: null } }] },
      { inputs: [{ ...valid, parameters: [] }] },
      { inputs: [valid], id: 7 },
      { inputs: [valid], parameters: { binary_data_output: [true] } },
      { inputs: [valid], outputs: {} },
      { inputs: [valid], outputs: [{}] },
      { inputs: [valid], outputs: [{ name: 'probabilities', parameters: { classification: {} } }] },
    ];
    for (const header of headers) {
      const expected = schemaError(header);
      expect(expected, JSON.stringify(header)).toBeDefined();
      expect(() => parse(header), JSON.stringify(header)).toThrow(expected as string);
    }
  });

  it('accepts what the schema accepts, extra fields included', () => {
    const header = {
      id: 'x',
      extra: 1,
      parameters: { binary_data_output: false, note: 'n', n: 1 },
      inputs: [{ ...valid, parameters: {}, other: [1] }],
      outputs: [{ name: 'probabilities', parameters: { classification: 2 } }],
    };
    expect(v2InferRequestSchema.safeParse(header).success).toBe(true);
    expect(parse(header)).toMatchObject({ id: 'x', input: { kind: 'tensor', batchSize: 1 } });
  });
});
