import { z } from 'zod';
import { verdictSchema } from './prediction.ts';

/**
 * The inference host's wire, as both sides see it: the Open Inference Protocol v2 (KServe v2 / Triton
 * HTTP) with Triton's binary tensor data and classification extensions, plus our image route.
 */

/** Request and response header giving the length of the JSON part when binary tensor data follows it. */
export const INFERENCE_HEADER_CONTENT_LENGTH = 'inference-header-content-length';

/**
 * The input every model accepts instead of its FP32 tensor: BYTES, shape `[batch]`, each element an
 * encoded PNG, JPEG, WebP or GIF that the host decodes and preprocesses as the model's manifest says.
 */
export const IMAGE_INPUT_NAME = 'image';

/** Extensions the host reports in its server metadata (`GET /v2`). */
export const SERVER_EXTENSIONS = [
  'binary_tensor_data',
  'classification',
  'model_repository',
  'model_configuration',
  'statistics',
] as const;

/** One row of `POST /v2/repository/index` (Triton's model repository extension). */
export const repositoryIndexEntrySchema = z.object({
  name: z.string(),
  version: z.string(),
  state: z.enum(['READY', 'UNAVAILABLE', 'LOADING', 'UNLOADING']),
  reason: z.string(),
});
export type RepositoryIndexEntry = z.infer<typeof repositoryIndexEntrySchema>;
export const repositoryIndexSchema = z.array(repositoryIndexEntrySchema);

const tensorMetadataSchema = z.object({ name: z.string(), datatype: z.string(), shape: z.array(z.number()) });

/**
 * `GET /v2/models/{name}`: the protocol's model metadata, with this host's `parameters` (display
 * name, labels, held-out accuracy, …) that the gateway reads to build `GET /api/models`
 * (contracts/models.ts). The host's answer is typed by it, the gateway parses with it.
 */
export const modelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()).min(1),
  platform: z.string(),
  inputs: z.array(tensorMetadataSchema),
  outputs: z.array(tensorMetadataSchema),
  parameters: z.looseObject({
    display_name: z.string(),
    labels: z.array(z.string()),
    held_out_accuracy: z.number().optional(),
    /** The version a request naming none gets (the model's serving.json, else the newest); ours, optional. */
    default_version: z.string().optional(),
  }),
});
export type ModelMetadata = z.infer<typeof modelMetadataSchema>;

/** `$parameters`: name → string, number or boolean. */
export const v2ParametersSchema = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
export type V2Parameters = z.infer<typeof v2ParametersSchema>;

/** `$request_input`; `data` is absent when `parameters.binary_data_size` says the tensor follows in binary. */
export const v2RequestInputSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string().min(1),
  parameters: v2ParametersSchema.optional(),
  data: z.unknown().optional(),
});

/** `$request_output`. */
export const v2RequestOutputSchema = z.object({
  name: z.string().min(1),
  parameters: v2ParametersSchema.optional(),
});

/** `$inference_request`: the JSON object (the whole body, or the part before the binary tensor data). */
export const v2InferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: v2ParametersSchema.optional(),
  inputs: z.array(v2RequestInputSchema).min(1),
  outputs: z.array(v2RequestOutputSchema).optional(),
});
export type V2InferRequest = z.infer<typeof v2InferRequestSchema>;

/** `$response_output`; `data` is absent when `parameters.binary_data_size` says it follows in binary. */
export const v2ResponseOutputSchema = z.object({
  name: z.string(),
  shape: z.array(z.number().int().nonnegative()),
  datatype: z.string(),
  parameters: v2ParametersSchema.optional(),
  data: z.unknown().optional(),
});
export type V2ResponseOutput = z.infer<typeof v2ResponseOutputSchema>;

/** `$inference_response`. */
export const v2InferResponseSchema = z.object({
  model_name: z.string(),
  model_version: z.string().optional(),
  id: z.string().optional(),
  parameters: v2ParametersSchema.optional(),
  outputs: z.array(v2ResponseOutputSchema),
});
export type V2InferResponse = z.infer<typeof v2InferResponseSchema>;

/** Error body of every inference host route, as the protocol defines it (`code` is ours, optional). */
export const inferenceErrorSchema = z.object({ error: z.string(), code: z.string().optional() });

/**
 * Serialises BYTES tensor elements as the binary extension lays them out: each element is a 4-byte
 * little-endian unsigned length followed by its bytes.
 *
 * @example encodeBytesElements([imageBytes]) // the binary part of a one-image "image" input
 */
export function encodeBytesElements(elements: readonly Uint8Array[]): Uint8Array {
  const total = elements.reduce((sum, e) => sum + 4 + e.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const element of elements) {
    view.setUint32(offset, element.length, true);
    out.set(element, offset + 4);
    offset += 4 + element.length;
  }
  return out;
}

/**
 * Splits binary BYTES tensor data into its elements (views, not copies). Throws a RangeError saying
 * which element is cut short when a length prefix promises more bytes than remain.
 */
export function decodeBytesElements(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements: Uint8Array[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) {
      throw new RangeError(
        `element ${elements.length} has a ${bytes.length - offset}-byte length prefix; it needs 4 bytes`,
      );
    }
    const length = view.getUint32(offset, true);
    const start = offset + 4;
    if (start + length > bytes.length) {
      throw new RangeError(
        `element ${elements.length} declares ${length} bytes but only ${bytes.length - start} remain`,
      );
    }
    elements.push(bytes.subarray(start, start + length));
    offset = start + length;
  }
  return elements;
}

/** One entry of a classification output: `value:index[:label]`. */
export interface Classification {
  readonly value: number;
  readonly index: number;
  readonly label: string | undefined;
}

/**
 * Formats one classification entry as the classification extension returns it: `value:index:label`,
 * the value with six decimals as Triton prints it (C++ `std::to_string`): `0.981700:7:7`.
 */
export function formatClassification(value: number, index: number, label?: string): string {
  const printed = value.toFixed(6);
  return label === undefined ? `${printed}:${index}` : `${printed}:${index}:${label}`;
}

const CLASSIFICATION_PATTERN = /^([^:]+):(\d+)(?::(.*))?$/s;

/** Parses a `value:index[:label]` string; the label is everything after the second colon. */
export function parseClassification(entry: string): Classification {
  const match = CLASSIFICATION_PATTERN.exec(entry);
  const value = Number(match?.[1]);
  if (!match || !Number.isFinite(value)) {
    throw new RangeError(`"${entry}" is not a classification of the form value:index[:label]`);
  }
  return { value, index: Number(match[2]), label: match[3] };
}

/**
 * The host's image route, `POST /v2/models/{model}[/versions/{v}]/classify?top_k=K`, a convenience beside
 * the protocol: the body is the encoded image, the answer its verdict. The Lambda uses `infer` instead.
 */
export const imageClassificationSchema = verdictSchema;
export type ImageClassification = z.infer<typeof imageClassificationSchema>;
