import type { S3Connection } from '../platform/s3-client.ts';

/**
 * The origin presigned upload URLs point at, which the app must be allowed to PUT to: the S3-compatible
 * server's when there is one (path-style), else the bucket's virtual-hosted S3 origin in AWS.
 */
export function uploadOrigin(s3: S3Connection, bucket: string): string {
  if (s3.endpoint) return new URL(s3.endpoint).origin;
  return `https://${bucket}.s3.${s3.region}.amazonaws.com`;
}

/**
 * The app's headers. Its Content-Security-Policy allows only what the PWA does: its own scripts
 * (no inline script, no eval) plus 'wasm-unsafe-eval', which onnxruntime-web needs to compile its
 * WebAssembly; its own Web Worker and service worker; fetches, the WebSocket ('self' covers ws: and
 * wss: of the same host), reading back its own object URLs (blob:) and presigned PUTs to the upload
 * origin; images of its own, from the camera (blob:) and data: URLs; the accuracy report in an iframe
 * of its own origin. Nobody may frame the app.
 */
export function appSecurityHeaders(connectOrigins: readonly string[]): Readonly<Record<string, string>> {
  const csp = [
    "default-src 'self'",
    "script-src 'self' 'wasm-unsafe-eval'",
    "worker-src 'self'",
    `connect-src 'self' blob: ${connectOrigins.join(' ')}`.trim(),
    "img-src 'self' blob: data:",
    "style-src 'self'",
    "font-src 'self'",
    "manifest-src 'self'",
    "frame-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
  return Object.freeze({
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
  });
}

/**
 * `report.html` is the accuracy job's page: inline CSS and SVG, no script, nothing fetched. Its CSP
 * allows exactly that and no script of any kind; `sandbox` (without allow-scripts) makes it an opaque
 * origin, so even markup that got past the job's escaping could neither run nor reach the app.
 * Inline style is allowed ('unsafe-inline' for style only): the page is one self-contained file whose
 * `<style>` changes with each release of the renderer, and with every fetch forbidden (no img-src
 * beyond data:, no font-src, no connect-src) injected CSS has nowhere to send anything. Only the app
 * (same origin) may frame it.
 */
export const REPORT_PAGE_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
});
