/**
 * An HMAC key ring: sign with `current`; accept `current` and, during a rotation, `previous`
 * (deploy/README.md, "Rotating a key"). A plain string is a ring of one.
 */
export interface HmacKeys {
  readonly current: string;
  readonly previous?: string | undefined;
}

/** Every key that verifies: the current one first. */
export function acceptedKeys(keys: HmacKeys | string): string[] {
  if (typeof keys === 'string') return [keys];
  return keys.previous === undefined ? [keys.current] : [keys.current, keys.previous];
}

/** The key that signs. */
export function signingKey(keys: HmacKeys | string): string {
  return typeof keys === 'string' ? keys : keys.current;
}
