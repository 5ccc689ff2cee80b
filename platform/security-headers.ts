/**
 * Headers on every JSON answer of an API: nothing in it may be sniffed into HTML or script, framed, or
 * told where it was linked from. The CSP forbids everything, since JSON needs nothing.
 */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
});
