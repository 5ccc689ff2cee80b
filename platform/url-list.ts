import { z } from 'zod';

/**
 * One base URL or several, comma-separated (`http://a:8000,http://b:8000`): each must be an http(s)
 * URL, duplicates are dropped. Every part that reads INFERENCE_URL parses it with this, so a list that
 * one part accepts the others accept too.
 */
export const urlListSchema = z
  .string()
  .transform((text) => splitUrlList(text))
  .pipe(
    z
      .array(z.url({ protocol: /^https?$/, error: 'each entry must be an http(s) URL' }))
      .min(1, 'name at least one URL'),
  );

/** The entries of a comma-separated URL list, trimmed, empty ones and duplicates dropped, in order. */
export function splitUrlList(text: string): string[] {
  return [
    ...new Set(
      text
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
    ),
  ];
}
