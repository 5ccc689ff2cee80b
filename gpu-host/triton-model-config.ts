import type { ModelManifest } from '../contracts/model-manifest.ts';

const TRITON_TYPES: Readonly<Record<string, string>> = { FP32: 'TYPE_FP32', BYTES: 'TYPE_STRING' };

/**
 * The model configuration as Triton answers `GET /v2/models/{m}/config` (its model_config.proto as
 * JSON), built from the manifest: what perf_analyzer and Triton's other tools read (max_batch_size,
 * input and output tensors without the batch dimension, dynamic batching, instance groups).
 */
export function tritonModelConfig(
  manifest: ModelManifest,
  serving: { readonly instances: number; readonly gpu: boolean; readonly dynamicBatching: boolean },
) {
  return {
    name: manifest.name,
    platform: manifest.platform,
    backend: 'onnxruntime',
    version_policy: { latest: { num_versions: 1 } },
    max_batch_size: manifest.maxBatchSize,
    input: [
      {
        name: manifest.input.name,
        data_type: TRITON_TYPES[manifest.input.datatype] ?? `TYPE_${manifest.input.datatype}`,
        format: 'FORMAT_NONE',
        dims: [...manifest.input.dims],
        is_shape_tensor: false,
        allow_ragged_batch: false,
        optional: false,
      },
    ],
    output: [
      {
        name: manifest.output.name,
        data_type: TRITON_TYPES[manifest.output.datatype] ?? `TYPE_${manifest.output.datatype}`,
        dims: [...manifest.output.dims],
        label_filename: '',
        is_shape_tensor: false,
      },
    ],
    batch_input: [],
    batch_output: [],
    ...(serving.dynamicBatching
      ? {
          dynamic_batching: {
            preferred_batch_size: [...manifest.dynamicBatching.preferredBatchSizes],
            max_queue_delay_microseconds: manifest.dynamicBatching.maxQueueDelayMicroseconds,
            preserve_ordering: false,
          },
        }
      : {}),
    instance_group: [
      {
        name: manifest.name,
        kind: serving.gpu ? 'KIND_GPU' : 'KIND_CPU',
        count: serving.instances,
        gpus: [],
      },
    ],
    default_model_filename: 'model.onnx',
    parameters: {},
    model_warmup: [],
  };
}
