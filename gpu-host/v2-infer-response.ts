import {
  encodeBytesElements,
  type V2InferResponse,
  type V2ResponseOutput,
} from '../contracts/inference-api.ts';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import { isOutOfDistribution } from '../contracts/out-of-distribution.ts';
import { encodeFp32, type JoinedBody, joinInferBody } from './v2-binary.ts';
import { classificationStrings } from './v2-classification.ts';
import type { RequestedOutput } from './v2-infer-request.ts';

/** What a model run produced for one request. */
export interface InferResult {
  readonly manifest: ModelManifest;
  readonly id: string | undefined;
  readonly batchSize: number;
  /** `batchSize × labels.length` probabilities. */
  readonly probabilities: Float32Array;
}

/** An encoded infer response: the body, and whether binary tensor data follows its JSON. */
export interface EncodedInferResponse extends JoinedBody {
  readonly hasBinary: boolean;
}

const utf8 = new TextEncoder();

/**
 * `parameters.out_of_distribution` of a classification output: one `true`/`false` per batch row, comma
 * separated (V2 parameters are scalars). Absent for models without an out-of-distribution threshold.
 */
function outOfDistributionParameter(
  manifest: ModelManifest,
  probabilities: Float32Array,
  batchSize: number,
): { parameters?: { out_of_distribution: string } } {
  if (manifest.outOfDistribution === undefined) return {};
  const classes = manifest.labels.length;
  const rows: boolean[] = [];
  for (let r = 0; r < batchSize; r++) {
    let best = 0;
    for (let c = 0; c < classes; c++) best = Math.max(best, probabilities[r * classes + c] ?? 0);
    rows.push(isOutOfDistribution(manifest, best));
  }
  return { parameters: { out_of_distribution: rows.join(',') } };
}

/**
 * The `$inference_response` for the outputs asked for: the FP32 tensor `[batch, classes]`, or with the
 * classification extension BYTES `[batch, k]` of `value:index:label`; each as JSON `data` or, with the
 * binary extension, as bytes after the JSON (`parameters.binary_data_size`).
 */
export function encodeInferResponse(
  result: InferResult,
  outputs: readonly RequestedOutput[],
): EncodedInferResponse {
  const { manifest, batchSize, probabilities } = result;
  const classes = manifest.labels.length;
  const chunks: Uint8Array[] = [];
  const described: V2ResponseOutput[] = outputs.map((output) => {
    const k = output.classification;
    if (k !== undefined) {
      const strings = classificationStrings(probabilities, classes, manifest.labels, k);
      const shape = [batchSize, k];
      const ood = outOfDistributionParameter(manifest, probabilities, batchSize);
      if (!output.binary) return { name: output.name, datatype: 'BYTES', shape, data: strings, ...ood };
      const bytes = encodeBytesElements(strings.map((s) => utf8.encode(s)));
      chunks.push(bytes);
      return {
        name: output.name,
        datatype: 'BYTES',
        shape,
        parameters: { binary_data_size: bytes.length, ...ood.parameters },
      };
    }
    const shape = [batchSize, classes];
    if (!output.binary)
      return { name: output.name, datatype: 'FP32', shape, data: Array.from(probabilities) };
    const bytes = encodeFp32(probabilities);
    chunks.push(bytes);
    return { name: output.name, datatype: 'FP32', shape, parameters: { binary_data_size: bytes.length } };
  });
  const response: V2InferResponse = {
    model_name: manifest.name,
    model_version: manifest.version,
    ...(result.id === undefined ? {} : { id: result.id }),
    outputs: described,
  };
  return { ...joinInferBody(response, chunks), hasBinary: chunks.length > 0 };
}
