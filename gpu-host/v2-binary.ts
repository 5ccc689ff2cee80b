import { endianness } from 'node:os';
import { INFERENCE_HEADER_CONTENT_LENGTH } from '../contracts/inference-api.ts';
import { InvalidRequestError } from './errors.ts';

/**
 * Framing of Triton's binary tensor data extension: a body is the JSON object followed by each binary
 * tensor's bytes, in the order of the tensors in the JSON; `Inference-Header-Content-Length` gives the
 * JSON's length. Tensor data is little-endian, row-major, without padding.
 */

/** A request body split into its JSON part and the binary tensor data after it. */
export interface SplitBody {
  readonly json: Uint8Array;
  readonly binary: Uint8Array;
}

/** Splits a body by the `Inference-Header-Content-Length` header; without it the whole body is JSON. */
export function splitInferBody(body: Uint8Array, headerLength: string | undefined): SplitBody {
  if (headerLength === undefined) return { json: body, binary: body.subarray(body.length) };
  if (!/^\d+$/.test(headerLength.trim())) {
    throw new InvalidRequestError(
      `${INFERENCE_HEADER_CONTENT_LENGTH}: must be a non-negative integer, got "${headerLength}"`,
    );
  }
  const length = Number(headerLength);
  if (length > body.length) {
    throw new InvalidRequestError(
      `${INFERENCE_HEADER_CONTENT_LENGTH}: ${length} is larger than the body (${body.length} bytes)`,
    );
  }
  return { json: body.subarray(0, length), binary: body.subarray(length) };
}

/** The part of a tensor description the framing looks at. */
export interface BinaryTensorSpec {
  readonly parameters?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * Hands each tensor that declares `parameters.binary_data_size` its bytes, in order; other tensors get
 * `undefined`. The declared sizes must add up to exactly the binary data after the JSON. `field` names
 * the tensors in errors: `inputs` for a request, `outputs` for a response.
 */
export function sliceBinaryTensors(
  tensors: readonly BinaryTensorSpec[],
  binary: Uint8Array,
  field: 'inputs' | 'outputs' = 'inputs',
): (Uint8Array | undefined)[] {
  let offset = 0;
  const slices = tensors.map((tensor, i) => {
    const size = tensor.parameters?.binary_data_size;
    if (size === undefined) return undefined;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new InvalidRequestError(
        `${field}[${i}].parameters.binary_data_size: must be a non-negative integer, got ${JSON.stringify(size)}`,
      );
    }
    if (offset + size > binary.length) {
      throw new InvalidRequestError(
        `${field}[${i}].parameters.binary_data_size: ${size} bytes declared but only ${binary.length - offset} bytes of binary data remain after the JSON (check ${INFERENCE_HEADER_CONTENT_LENGTH})`,
      );
    }
    const slice = binary.subarray(offset, offset + size);
    offset += size;
    return slice;
  });
  if (offset !== binary.length) {
    throw new InvalidRequestError(
      `${field}[*].parameters.binary_data_size: the sizes add up to ${offset} bytes but ${binary.length} bytes of binary data follow the JSON`,
    );
  }
  return slices;
}

const LITTLE_ENDIAN_HOST = endianness() === 'LE';

/** Reads little-endian FP32 tensor data into a new (aligned) Float32Array. Length must be a multiple of 4. */
export function decodeFp32(bytes: Uint8Array): Float32Array {
  if (LITTLE_ENDIAN_HOST) {
    // Buffer.allocUnsafe serves small sizes from Node's pool, 8-byte aligned: cheaper per request than
    // a fresh ArrayBuffer. The check keeps it correct should the pool ever hand out another offset.
    const copy = Buffer.allocUnsafe(bytes.length);
    if (copy.byteOffset % 4 === 0) {
      copy.set(bytes);
      return new Float32Array(copy.buffer, copy.byteOffset, bytes.length / 4);
    }
    const out = new Float32Array(bytes.length / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const out = new Float32Array(bytes.length / 4);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** FP32 values as little-endian tensor data. */
export function encodeFp32(values: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN_HOST) return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  const out = new Uint8Array(values.length * 4);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => {
    view.setFloat32(i * 4, v, true);
  });
  return out;
}

/** A body made of a JSON object and the binary tensor data that follows it. */
export interface JoinedBody {
  readonly body: Buffer;
  /** The JSON's length in bytes: the `Inference-Header-Content-Length` to send, when `binary` is not empty. */
  readonly jsonLength: number;
}

/** Serialises `json` and appends `chunks` in order: one request or response body, in one allocation. */
export function joinInferBody(json: unknown, chunks: readonly Uint8Array[]): JoinedBody {
  const head = JSON.stringify(json);
  if (chunks.length === 0) {
    const body = Buffer.from(head, 'utf8');
    return { body, jsonLength: body.length };
  }
  const jsonLength = Buffer.byteLength(head, 'utf8');
  let length = jsonLength;
  for (const chunk of chunks) length += chunk.length;
  const body = Buffer.allocUnsafe(length);
  body.write(head, 0, 'utf8');
  let offset = jsonLength;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return { body, jsonLength };
}
