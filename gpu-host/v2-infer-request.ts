import {
  decodeBytesElements,
  IMAGE_INPUT_NAME,
  type V2InferRequest,
  v2InferRequestSchema,
} from '../contracts/inference-api.ts';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import { InvalidRequestError } from './errors.ts';
import { decodeFp32, sliceBinaryTensors, splitInferBody } from './v2-binary.ts';

/** The model's input, as the request gave it: the tensor itself, or encoded images to preprocess. */
export type ModelInput =
  | { readonly kind: 'tensor'; readonly batchSize: number; readonly data: Float32Array }
  | { readonly kind: 'images'; readonly batchSize: number; readonly images: readonly Uint8Array[] };

/** An output the client asked for, and how it wants it. */
export interface RequestedOutput {
  readonly name: string;
  /** Classification extension: return the top `classification` classes as strings instead of the tensor. */
  readonly classification: number | undefined;
  /** Binary tensor data extension: return the data after the JSON instead of in it. */
  readonly binary: boolean;
}

/** A validated Open Inference Protocol infer request for one of our models. */
export interface ParsedInferRequest {
  readonly id: string | undefined;
  readonly input: ModelInput;
  /** Never empty: a request that names no outputs gets every output. */
  readonly outputs: readonly RequestedOutput[];
}

/**
 * Parses an infer request body (JSON, or JSON plus binary tensor data when `headerLength`, the
 * `Inference-Header-Content-Length` header, is given) and validates it against the model's manifest.
 * The model takes exactly one input: its FP32 tensor `[batch, ...dims]`, or `"image"`, BYTES `[batch]`.
 * Every error names the field at fault.
 */
export function parseInferRequest(
  body: Uint8Array,
  headerLength: string | undefined,
  manifest: ModelManifest,
): ParsedInferRequest {
  const { json, binary } = splitInferBody(body, headerLength);
  const request = readInferHeader(parseJson(json));
  const slices = sliceBinaryTensors(request.inputs, binary);
  if (request.inputs.length !== 1) {
    throw new InvalidRequestError(
      `inputs: model "${manifest.name}" takes exactly one input, "${manifest.input.name}" or "${IMAGE_INPUT_NAME}", got ${request.inputs.length}`,
    );
  }
  const tensor = request.inputs[0] as (typeof request.inputs)[number];
  const binaryData = slices[0];
  if (binaryData !== undefined && tensor.data !== undefined) {
    throw new InvalidRequestError('inputs[0]: give data or parameters.binary_data_size, not both');
  }
  if (binaryData === undefined && tensor.data === undefined) {
    throw new InvalidRequestError(
      'inputs[0].data: missing; give the tensor as data, or as binary data after the JSON with parameters.binary_data_size',
    );
  }

  let input: ModelInput;
  if (tensor.name === manifest.input.name) {
    if (tensor.datatype !== manifest.input.datatype) {
      throw new InvalidRequestError(
        `inputs[0].datatype: expected ${manifest.input.datatype}, got ${tensor.datatype}`,
      );
    }
    const batchSize = checkShape(tensor.shape, manifest);
    const count = tensor.shape.reduce((a, b) => a * b, 1);
    input = {
      kind: 'tensor',
      batchSize,
      data:
        binaryData === undefined
          ? flattenNumbers(tensor.data, count, tensor.shape)
          : fp32(binaryData, tensor.shape),
    };
  } else if (tensor.name === IMAGE_INPUT_NAME) {
    if (tensor.datatype !== 'BYTES') {
      throw new InvalidRequestError(
        `inputs[0].datatype: "${IMAGE_INPUT_NAME}" is BYTES, got ${tensor.datatype}`,
      );
    }
    const batchSize = checkImageShape(tensor.shape, manifest);
    const images = binaryData === undefined ? flattenStrings(tensor.data) : bytesElements(binaryData);
    if (images.length !== batchSize) {
      throw new InvalidRequestError(
        `inputs[0].data: shape ${JSON.stringify(tensor.shape)} needs ${batchSize} elements, got ${images.length}`,
      );
    }
    input = { kind: 'images', batchSize, images };
  } else {
    throw new InvalidRequestError(
      `inputs[0].name: model "${manifest.name}" has inputs "${manifest.input.name}" (${manifest.input.datatype} [-1, ${manifest.input.dims.join(', ')}]) and "${IMAGE_INPUT_NAME}" (BYTES [-1]), got "${tensor.name}"`,
    );
  }

  const binaryOutput = booleanParameter(
    request.parameters?.binary_data_output,
    'parameters.binary_data_output',
  );
  return {
    id: request.id,
    input,
    outputs: parseOutputs(request.outputs, manifest, binaryOutput ?? false),
  };
}

/**
 * The JSON object of an infer request, as `v2InferRequestSchema` accepts it. A request that is plainly
 * well-formed (the common case) is checked by hand, which costs a fraction of the schema on this hot
 * path; anything else goes through the schema, so every error names its field exactly as the schema
 * says it.
 */
function readInferHeader(json: unknown): V2InferRequest {
  if (isPlainInferHeader(json)) return json;
  const parsed = v2InferRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidRequestError(
      `${formatPath(issue?.path ?? []) || 'body'}: ${issue?.message ?? 'not an inference request'}`,
    );
  }
  return parsed.data;
}

type JsonObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/**
 * True only for what `v2InferRequestSchema` certainly accepts as it is (parsed JSON has no undefined,
 * NaN or Infinity): false sends the value to the schema, which decides, so this may be stricter than
 * the schema but never looser.
 */
function isPlainInferHeader(json: unknown): json is V2InferRequest {
  if (!isObject(json)) return false;
  const { id, parameters, inputs, outputs } = json;
  if (id !== undefined && typeof id !== 'string') return false;
  if (parameters !== undefined && !isParameters(parameters)) return false;
  if (!Array.isArray(inputs) || inputs.length === 0) return false;
  for (const input of inputs) {
    if (!isObject(input) || !isName(input.name) || !isName(input.datatype)) return false;
    if (input.parameters !== undefined && !isParameters(input.parameters)) return false;
    const shape = input.shape;
    if (!Array.isArray(shape)) return false;
    for (const d of shape) if (!Number.isSafeInteger(d) || (d as number) < 0) return false;
  }
  if (outputs === undefined) return true;
  if (!Array.isArray(outputs)) return false;
  for (const output of outputs) {
    if (!isObject(output) || !isName(output.name)) return false;
    if (output.parameters !== undefined && !isParameters(output.parameters)) return false;
  }
  return true;
}

/** `$parameters`: an object of strings, numbers and booleans. */
function isParameters(value: unknown): boolean {
  if (!isObject(value) || Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const key in value) {
    const v = value[key];
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') return false;
  }
  return true;
}

/** Checks `[batch, ...dims]` against the manifest and returns the batch size. */
export function checkShape(shape: readonly number[], manifest: ModelManifest): number {
  const dims = manifest.input.dims;
  const matches = shape.length === dims.length + 1 && dims.every((d, i) => shape[i + 1] === d);
  if (!matches) {
    throw new InvalidRequestError(
      `inputs[0].shape: expected [batch, ${dims.join(', ')}], got ${JSON.stringify(shape)}`,
    );
  }
  return checkBatch(shape[0] as number, manifest);
}

function checkImageShape(shape: readonly number[], manifest: ModelManifest): number {
  if (shape.length !== 1) {
    throw new InvalidRequestError(
      `inputs[0].shape: "${IMAGE_INPUT_NAME}" is [batch], one encoded image per row, got ${JSON.stringify(shape)}`,
    );
  }
  return checkBatch(shape[0] as number, manifest);
}

function checkBatch(batchSize: number, manifest: ModelManifest): number {
  if (batchSize < 1 || batchSize > manifest.maxBatchSize) {
    throw new InvalidRequestError(
      `inputs[0].shape: batch size must be 1..${manifest.maxBatchSize} for "${manifest.name}", got ${batchSize}`,
    );
  }
  return batchSize;
}

function parseOutputs(
  outputs: readonly { name: string; parameters?: Record<string, unknown> | undefined }[] | undefined,
  manifest: ModelManifest,
  binaryByDefault: boolean,
): RequestedOutput[] {
  if (outputs === undefined || outputs.length === 0) {
    return [{ name: manifest.output.name, classification: undefined, binary: binaryByDefault }];
  }
  const seen = new Set<string>();
  return outputs.map((output, i) => {
    if (output.name !== manifest.output.name) {
      throw new InvalidRequestError(
        `outputs[${i}].name: model "${manifest.name}" has no output "${output.name}"; it has "${manifest.output.name}"`,
      );
    }
    if (seen.has(output.name)) {
      throw new InvalidRequestError(`outputs[${i}].name: "${output.name}" is requested twice`);
    }
    seen.add(output.name);
    const classes = manifest.labels.length;
    const k = output.parameters?.classification;
    if (k !== undefined && (typeof k !== 'number' || !Number.isInteger(k) || k < 1)) {
      throw new InvalidRequestError(
        `outputs[${i}].parameters.classification: must be a whole number of classes, 1 or more, got ${JSON.stringify(k)}`,
      );
    }
    const binary = booleanParameter(output.parameters?.binary_data, `outputs[${i}].parameters.binary_data`);
    // More classes than the model has means all of them, as Triton answers.
    const classification = k === undefined ? undefined : Math.min(k, classes);
    return { name: output.name, classification, binary: binary ?? binaryByDefault };
  });
}

function booleanParameter(value: unknown, field: string): boolean | undefined {
  if (value === undefined || typeof value === 'boolean') return value;
  throw new InvalidRequestError(`${field}: must be true or false, got ${JSON.stringify(value)}`);
}

function fp32(bytes: Uint8Array, shape: readonly number[]): Float32Array {
  const expected = shape.reduce((a, b) => a * b, 1) * 4;
  if (bytes.length !== expected) {
    throw new InvalidRequestError(
      `inputs[0].parameters.binary_data_size: shape ${JSON.stringify(shape)} of FP32 is ${expected} bytes, got ${bytes.length}`,
    );
  }
  return decodeFp32(bytes);
}

function bytesElements(bytes: Uint8Array): Uint8Array[] {
  try {
    return decodeBytesElements(bytes);
  } catch (error) {
    throw new InvalidRequestError(`inputs[0] binary data: ${(error as Error).message}`);
  }
}

/** Flat or nested JSON numbers into a Float32Array of exactly `count` elements. */
function flattenNumbers(data: unknown, count: number, shape: readonly number[]): Float32Array {
  const out = new Float32Array(count);
  let n = 0;
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new InvalidRequestError(
        `inputs[0].data: every element must be a finite number, got ${JSON.stringify(value) ?? String(value)}`,
      );
    }
    if (n < count) out[n] = value;
    n++;
  };
  visit(data);
  if (n !== count) {
    throw new InvalidRequestError(
      `inputs[0].data: shape ${JSON.stringify(shape)} needs ${count} elements, got ${n}`,
    );
  }
  return out;
}

const utf8 = new TextEncoder();

/** JSON BYTES elements are strings; each stands for its UTF-8 bytes. */
function flattenStrings(data: unknown): Uint8Array[] {
  const out: Uint8Array[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
    } else if (typeof value === 'string') {
      out.push(utf8.encode(value));
    } else {
      throw new InvalidRequestError(
        `inputs[0].data: BYTES elements must be strings, got ${JSON.stringify(value) ?? String(value)}`,
      );
    }
  };
  visit(data);
  return out;
}

function parseJson(json: Uint8Array): unknown {
  try {
    return JSON.parse(Buffer.from(json.buffer, json.byteOffset, json.byteLength).toString('utf8'));
  } catch {
    throw new InvalidRequestError('body: the JSON object is not valid JSON');
  }
}

/** `['inputs', 0, 'shape']` → `inputs[0].shape`. */
function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`))
    .join('');
}
