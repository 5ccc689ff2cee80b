import { describe, expect, it } from 'vitest';
import { decodeBytesElements } from '../contracts/inference-api.ts';
import { classificationFromResponse, imageInferRequest } from './inference-client.ts';

describe('the Lambda speaks the Open Inference Protocol', () => {
  it('sends the image as a binary BYTES "image" input and asks for the top k classes', () => {
    const image = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 1, 2, 3);
    const { body, headerLength } = imageInferRequest(image, 3);
    const header = JSON.parse(body.subarray(0, headerLength).toString('utf8'));
    expect(header).toEqual({
      inputs: [{ name: 'image', shape: [1], datatype: 'BYTES', parameters: { binary_data_size: 11 } }],
      outputs: [{ name: 'probabilities', parameters: { classification: 3 } }],
    });
    const [element] = decodeBytesElements(body.subarray(headerLength));
    expect(Array.from(element ?? [])).toEqual(Array.from(image));
  });

  it('turns value:index:label strings into the verdict, best first', () => {
    const verdict = classificationFromResponse({
      model_name: 'fashion',
      model_version: '2',
      outputs: [
        {
          name: 'probabilities',
          datatype: 'BYTES',
          shape: [1, 2],
          data: ['1.0000001:9:Ankle boot', '0.25:7:Sneaker'],
        },
      ],
    });
    expect(verdict).toEqual({
      model: 'fashion',
      modelVersion: '2',
      label: 'Ankle boot',
      confidence: 1,
      topK: [
        { label: 'Ankle boot', confidence: 1 },
        { label: 'Sneaker', confidence: 0.25 },
      ],
    });
  });

  it("carries the host's out-of-distribution flag for the image", () => {
    const verdict = classificationFromResponse({
      model_name: 'digits',
      model_version: '2',
      outputs: [
        {
          name: 'probabilities',
          datatype: 'BYTES',
          shape: [1, 1],
          parameters: { out_of_distribution: 'true' },
          data: ['0.31:3:3'],
        },
      ],
    });
    expect(verdict).toMatchObject({ label: '3', confidence: 0.31, outOfDistribution: true });
  });

  it('refuses an answer in another shape', () => {
    expect(classificationFromResponse({ model_name: 'digits', outputs: [] })).toBeUndefined();
    expect(
      classificationFromResponse({
        model_name: 'digits',
        model_version: '1',
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 10], data: [0.1] }],
      }),
    ).toBeUndefined();
    expect(
      classificationFromResponse({
        model_name: 'digits',
        model_version: '1',
        outputs: [{ name: 'probabilities', datatype: 'BYTES', shape: [1, 1], data: ['garbage'] }],
      }),
    ).toBeUndefined();
    expect(classificationFromResponse('not json')).toBeUndefined();
  });
});
