import { type CreateUploadResponse, createUploadResponseSchema } from '../../contracts/uploads.ts';

/** Asks the gateway for a presigned upload, as the app does. */
export async function createUpload(
  gatewayUrl: string,
  body: { contentType: string; size: number; model?: string },
): Promise<CreateUploadResponse> {
  const response = await fetch(`${gatewayUrl}/api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201)
    throw new Error(`POST /api/uploads answered ${response.status}: ${await response.text()}`);
  return createUploadResponseSchema.parse(await response.json());
}

/** PUTs bytes to a presigned URL with the signed headers, as the browser does. */
export function putToS3(
  upload: CreateUploadResponse,
  bytes: Uint8Array,
  headers = upload.headers,
): Promise<Response> {
  return fetch(upload.url, { method: 'PUT', headers, body: new Uint8Array(bytes) });
}
