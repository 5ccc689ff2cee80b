import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Logger, pino } from 'pino';
import {
  INFERENCE_HEADER_CONTENT_LENGTH,
  type V2InferResponse,
  v2InferResponseSchema,
} from '../../contracts/inference-api.ts';
import { readGpuHostConfig } from '../config.ts';
import { type RunningGpuHost, startGpuHost } from '../gpu-host.ts';
import { joinInferBody, sliceBinaryTensors, splitInferBody } from '../v2-binary.ts';

/** A host on a free port, quiet unless a logger is given; `env` as the process environment would set it. */
export function startTestHost(env: Record<string, string> = {}, log?: Logger): Promise<RunningGpuHost> {
  const config = readGpuHostConfig({ GPU_HOST_PORT: '0', LOG_LEVEL: 'silent', ...env });
  return startGpuHost(config, log ?? pino({ level: 'silent' }));
}

/** A pino logger whose JSON lines are collected in `lines`. */
export function capturingLogger(level = 'debug'): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level }, { write: (line: string) => lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** POSTs a JSON infer request, or JSON plus binary tensor data when `chunks` are given. */
export function postInfer(
  url: string,
  header: unknown,
  chunks: readonly Uint8Array[] = [],
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const { body, jsonLength } = joinInferBody(header, chunks);
  return fetch(url, {
    method: 'POST',
    headers: {
      'content-type': chunks.length > 0 ? 'application/octet-stream' : 'application/json',
      ...(chunks.length > 0 ? { [INFERENCE_HEADER_CONTENT_LENGTH]: String(jsonLength) } : {}),
      ...extraHeaders,
    },
    body: new Uint8Array(body),
  });
}

/** Reads an infer response, JSON or binary, into its JSON object and each output's binary data. */
export async function readInferResponse(
  response: Response,
): Promise<{ json: V2InferResponse; binary: (Uint8Array | undefined)[] }> {
  const body = new Uint8Array(await response.arrayBuffer());
  const headerLength = response.headers.get(INFERENCE_HEADER_CONTENT_LENGTH) ?? undefined;
  const { json, binary } = splitInferBody(body, headerLength);
  const parsed = v2InferResponseSchema.parse(JSON.parse(new TextDecoder().decode(json)));
  return { json: parsed, binary: sliceBinaryTensors(parsed.outputs, binary, 'outputs') };
}

/** What to put in a throw-away repository: `models/<from>/<fromVersion>` copied as `<model>/<version>`, manifest edited. */
export interface VersionSpec {
  readonly model?: string;
  readonly version: string;
  readonly from?: string;
  /** The committed version to copy (default 1). */
  readonly fromVersion?: string;
  readonly manifest?: (manifest: Record<string, unknown>) => Record<string, unknown>;
}

/** A temporary model repository built from the committed models; `remove()` deletes it. */
export async function temporaryRepository(
  versions: readonly VersionSpec[],
): Promise<{ path: string; add(spec: VersionSpec): Promise<void>; remove(): Promise<void> }> {
  const root = await mkdtemp(path.join(tmpdir(), 'gpu-host-repo-'));
  const add = async ({
    model = 'digits',
    version,
    from = model,
    fromVersion = '1',
    manifest = (m) => m,
  }: VersionSpec) => {
    const source = path.join('models', from, fromVersion);
    const target = path.join(root, model, version);
    await cp(source, target, { recursive: true });
    const original = JSON.parse(await readFile(path.join(source, 'manifest.json'), 'utf8'));
    await writeFile(
      path.join(target, 'manifest.json'),
      JSON.stringify(manifest({ ...original, name: model, version })),
    );
  };
  for (const spec of versions) await add(spec);
  return { path: root, add, remove: () => rm(root, { recursive: true, force: true }) };
}

/** A repository holding digits version 1 with its batcher's queue delay set to `microseconds`. */
export function repositoryWithQueueDelay(microseconds: number): ReturnType<typeof temporaryRepository> {
  return temporaryRepository([
    {
      version: '1',
      manifest: (m) => ({
        ...m,
        dynamicBatching: { maxQueueDelayMicroseconds: microseconds, preferredBatchSizes: [] },
      }),
    },
  ]);
}

/** Parses the Prometheus text exposition into `name{labels}` → value. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    values.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return values;
}
