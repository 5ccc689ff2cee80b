import { z } from 'zod';
import { preprocessingKindSchema } from '../../../contracts/model-manifest.ts';
import { modelNameSchema } from '../../../contracts/uploads.ts';

/** Where the build puts the index of the models it bundles (see pwa/scripts/model-repository.ts). */
export const BUNDLED_MODELS_URL = '/models.json';

/** One model shipped inside the app, so that it runs on the device, offline too. */
export const bundledModelSchema = z.object({
  name: modelNameSchema,
  version: z.string().min(1),
  displayName: z.string().min(1),
  labels: z.array(z.string().min(1)).min(2),
  preprocessing: preprocessingKindSchema,
  input: z.object({ name: z.string().min(1), dims: z.array(z.number().int().positive()).min(1) }),
  output: z.object({ name: z.string().min(1) }),
  heldOutAccuracy: z.number().min(0).max(1).optional(),
  /** "Not a <subject>" threshold on the top-1 probability (contracts/out-of-distribution.ts); absent: never. */
  outOfDistribution: z.object({ subject: z.string().min(1), threshold: z.number().min(0).max(1) }).optional(),
  /** SHA-256 of model.onnx, hex; the worker checks the bytes it loads against it. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Size of model.onnx: the download's total for the progress bar (gzip hides it from Content-Length). */
  bytes: z.number().int().positive().optional(),
  /** Same-origin URL of model.onnx, e.g. `/models/digits/1/model.onnx`. */
  modelUrl: z.string().startsWith('/'),
});
export type BundledModel = z.infer<typeof bundledModelSchema>;

/** `/models.json`: every model the build found in the model repository, newest version of each. */
export const bundledModelIndexSchema = z.object({ models: z.array(bundledModelSchema) });
export type BundledModelIndex = z.infer<typeof bundledModelIndexSchema>;
