import { z } from 'zod';
import { modelNameSchema } from './uploads.ts';

/** How an image becomes the model's input tensor; see preprocess.ts. */
export const PREPROCESSING_KINDS = ['mnist-digit', 'fashion-item'] as const;
export const preprocessingKindSchema = z.enum(PREPROCESSING_KINDS);
export type PreprocessingKind = z.infer<typeof preprocessingKindSchema>;

const tensorSpecSchema = z.object({
  name: z.string().min(1),
  datatype: z.literal('FP32'),
  /** Shape without the batch axis, e.g. [1, 28, 28]. */
  dims: z.array(z.number().int().positive()).min(1),
});

/**
 * `models/<name>/<version>/manifest.json`, beside `model.onnx`: everything a server or browser needs to
 * run the model, and what training measured. Written by training/train.py; read by gpu-host and the PWA.
 */
export const modelManifestSchema = z.object({
  name: modelNameSchema,
  version: z.string().regex(/^[1-9][0-9]*$/, 'version must be a positive integer'),
  displayName: z.string().min(1),
  platform: z.literal('onnxruntime_onnx'),
  input: tensorSpecSchema,
  /** Softmax probabilities, one per label. */
  output: tensorSpecSchema,
  labels: z.array(z.string().min(1)).min(2),
  preprocessing: preprocessingKindSchema,
  maxBatchSize: z.number().int().positive(),
  dynamicBatching: z.object({
    maxQueueDelayMicroseconds: z.number().int().nonnegative(),
    preferredBatchSizes: z.array(z.number().int().positive()).default([]),
  }),
  training: z.object({
    dataset: z.string().min(1),
    seed: z.number().int(),
    trainSize: z.number().int().positive(),
    heldOutSize: z.number().int().positive(),
    heldOutAccuracy: z.number().min(0).max(1),
    epochs: z.number().int().positive(),
    trainedAt: z.iso.datetime({ offset: true }),
    modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
    parameters: z.number().int().positive(),
  }),
  /**
   * "Not a <subject>" detection (contracts/out-of-distribution.ts): an image whose top-1 probability is
   * below `threshold` is out of distribution. `temperature` is already folded into the model's output
   * (calibrated probabilities); it is recorded here, with the held-out figures the threshold was fitted on.
   */
  outOfDistribution: z
    .object({
      method: z.string().min(1),
      /** Completes "This doesn't look like …", e.g. "a handwritten digit". */
      subject: z.string().min(1),
      threshold: z.number().min(0).max(1),
      temperature: z.number().positive(),
      fittedOn: z.string().min(1),
      heldOut: z.record(z.string(), z.number()),
    })
    .optional(),
  /** What `npm run eval:models` measured on its photo-like evaluation set (see training/README.md). */
  evaluation: z
    .object({
      command: z.string().min(1),
      evaluatedAt: z.iso.datetime({ offset: true }),
      /** Top-1 accuracy per source/style of real digits, e.g. "fonts/outline". */
      accuracy: z.record(z.string(), z.number().min(0).max(1)),
      /** Share of non-digit images flagged out of distribution (or rejected as blank), per kind. */
      oodFlagged: z.record(z.string(), z.number().min(0).max(1)),
      /** Share of real digits wrongly flagged, per source. */
      falseFlagged: z.record(z.string(), z.number().min(0).max(1)),
      ece: z.record(z.string(), z.number().min(0).max(1)),
      sizes: z.record(z.string(), z.number().int().nonnegative()),
    })
    .optional(),
});
export type ModelManifest = z.infer<typeof modelManifestSchema>;
