import type { HttpRequest, HttpResponse } from '@trufflesuite/uws-js-unofficial';

/**
 * Who is asking, for per-client limits: the peer address of the connection, or — behind
 * `trustedProxyHops` proxies that each append the address they saw to `X-Forwarded-For` (an ALB does)
 * — the address the outermost trusted proxy saw. Entries left of that are the client's own claims and
 * are ignored; with no trusted proxy the header is ignored entirely. Call before any await.
 */
export function clientAddress(res: HttpResponse, req: HttpRequest, trustedProxyHops: number): string {
  const peer = Buffer.from(res.getRemoteAddressAsText()).toString('utf8');
  if (trustedProxyHops <= 0) return peer;
  const forwarded = req
    .getHeader('x-forwarded-for')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const chain = [...forwarded, peer];
  return chain[chain.length - 1 - trustedProxyHops] ?? chain[0] ?? peer;
}
