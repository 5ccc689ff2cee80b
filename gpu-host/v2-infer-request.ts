import { z } from 'zod';
import type { ModelManifest } from '../contracts/model-manifest.ts';
import { InvalidRequestError } from './errors.ts';

const tensorDataSchema: z.ZodType<unknown> = z.lazy(() => z.union([z.number(), z.array(tensorDataSchema)]));

const inferRequestSchema = z.object({
  id: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
  inputs: z
    .array(
      z.object({
        name: z.string(),
        shape: z.array(z.number().int().nonnegative()),
        datatype: z.string(),
        parameters: z.record(z.string(), z.unknown()).optional(),
        data: tensorDataSchema,
      }),
    )
    .min(1),
  outputs: z
    .array(z.object({ name: z.string(), parameters: z.record(z.string(), z.unknown()).optional() }))
    .optional(),
});

/** A validated Open Inference Protocol infer request for one of our single-input models. */
export interface ParsedInferRequest {
  readonly id: string | undefined;
  readonly batchSize: number;
  /** `batchSize` rows of the model's input, back to back. */
  readonly input: Float32Array;
  /** Output names the client asked for; empty means all. */
  readonly requestedOutputs: readonly string[];
}

/**
 * Validates a JSON infer request against the model's manifest: input name, datatype, shape (batch axis
 * first, at most maxBatchSize) and element count. Every error names the field at fault.
 */
export function parseInferRequest(body: unknown, manifest: ModelManifest): ParsedInferRequest {
  const parsed = inferRequestSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidRequestError(
      `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid infer request'}`,
    );
  }
  const request = parsed.data;
  if (request.inputs.length !== 1) {
    throw new InvalidRequestError(
      `inputs: model "${manifest.name}" takes exactly 1 input ("${manifest.input.name}"), got ${request.inputs.length}`,
    );
  }
  const tensor = request.inputs[0] as (typeof request.inputs)[number];
  if (tensor.name !== manifest.input.name) {
    throw new InvalidRequestError(`inputs[0].name: expected "${manifest.input.name}", got "${tensor.name}"`);
  }
  if (tensor.datatype !== manifest.input.datatype) {
    throw new InvalidRequestError(
      `inputs[0].datatype: expected ${manifest.input.datatype}, got ${tensor.datatype}`,
    );
  }
  const batchSize = checkShape(tensor.shape, manifest);
  const values = flatten(tensor.data);
  const expected = tensor.shape.reduce((a, b) => a * b, 1);
  if (values.length !== expected) {
    throw new InvalidRequestError(
      `inputs[0].data: shape ${JSON.stringify(tensor.shape)} needs ${expected} elements, got ${values.length}`,
    );
  }
  for (const name of request.outputs?.map((o) => o.name) ?? []) {
    if (name !== manifest.output.name) {
      throw new InvalidRequestError(`outputs: model "${manifest.name}" has no output "${name}"`);
    }
  }
  return {
    id: request.id,
    batchSize,
    input: Float32Array.from(values),
    requestedOutputs: request.outputs?.map((o) => o.name) ?? [],
  };
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
  const batchSize = shape[0] as number;
  if (batchSize < 1 || batchSize > manifest.maxBatchSize) {
    throw new InvalidRequestError(
      `inputs[0].shape: batch size must be 1..${manifest.maxBatchSize} for "${manifest.name}", got ${batchSize}`,
    );
  }
  return batchSize;
}

function flatten(data: unknown): number[] {
  const out: number[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      out.push(value);
    } else {
      throw new InvalidRequestError(
        `inputs[0].data: every element must be a finite number, got ${String(value)}`,
      );
    }
  };
  visit(data);
  return out;
}
