import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBytesElements, v2InferResponseSchema } from '../contracts/inference-api.ts';
import { modelManifestSchema } from '../contracts/model-manifest.ts';
import { decodeFp32, sliceBinaryTensors, splitInferBody } from './v2-binary.ts';
import { encodeInferResponse } from './v2-infer-response.ts';

const manifest = modelManifestSchema.parse(JSON.parse(readFileSync('models/digits/1/manifest.json', 'utf8')));
const probabilities = Float32Array.from({ length: 20 }, (_, i) => (i === 7 ? 0.91 : i === 13 ? 0.82 : 0.01));
const result = { manifest, id: 'abc', batchSize: 2, probabilities };

function parseBack(body: Buffer, jsonLength: number) {
  const { json, binary } = splitInferBody(body, String(jsonLength));
  const response = v2InferResponseSchema.parse(JSON.parse(Buffer.from(json).toString('utf8')));
  return { response, tensors: sliceBinaryTensors(response.outputs, binary, 'outputs') };
}

describe('encodeInferResponse', () => {
  it('returns the FP32 tensor as JSON data by default', () => {
    const encoded = encodeInferResponse(result, [
      { name: 'probabilities', classification: undefined, binary: false },
    ]);
    expect(encoded.hasBinary).toBe(false);
    expect(JSON.parse(encoded.body.toString())).toEqual({
      model_name: 'digits',
      model_version: '1',
      id: 'abc',
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [2, 10], data: Array.from(probabilities) }],
    });
  });

  it('returns the FP32 tensor in binary, parsed back to the same values', () => {
    const encoded = encodeInferResponse(result, [
      { name: 'probabilities', classification: undefined, binary: true },
    ]);
    expect(encoded.hasBinary).toBe(true);
    const { response, tensors } = parseBack(encoded.body, encoded.jsonLength);
    expect(response.outputs[0]).toEqual({
      name: 'probabilities',
      datatype: 'FP32',
      shape: [2, 10],
      parameters: { binary_data_size: 80 },
    });
    expect(decodeFp32(tensors[0] as Uint8Array)).toEqual(probabilities);
  });

  it('returns classifications as BYTES [batch, k], in JSON or binary', () => {
    const asJson = encodeInferResponse(result, [{ name: 'probabilities', classification: 2, binary: false }]);
    const output = JSON.parse(asJson.body.toString()).outputs[0];
    expect(output).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [2, 2] });
    expect(output.data).toEqual(['0.910000:7:7', '0.010000:0:0', '0.820000:3:3', '0.010000:0:0']);

    const asBinary = encodeInferResponse(result, [
      { name: 'probabilities', classification: 2, binary: true },
    ]);
    const { tensors } = parseBack(asBinary.body, asBinary.jsonLength);
    const strings = decodeBytesElements(tensors[0] as Uint8Array).map((e) => new TextDecoder().decode(e));
    expect(strings).toEqual(output.data);
  });

  it('leaves out the id when the request had none', () => {
    const encoded = encodeInferResponse({ ...result, id: undefined }, [
      { name: 'probabilities', classification: 1, binary: false },
    ]);
    expect(JSON.parse(encoded.body.toString())).not.toHaveProperty('id');
  });
});
