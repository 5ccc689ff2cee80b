import type { z } from 'zod';

/**
 * The first problem zod found, as `path: message` (`whole` names the value itself when the path is
 * empty), for an error answer or a log line that must say which field is wrong and why.
 *
 * @example describeIssue(schema.safeParse(body).error, 'body') // "prediction.label: Invalid input"
 */
export function describeIssue(error: z.ZodError, whole = 'value'): string {
  const issue = error.issues[0];
  if (!issue) return `${whole}: invalid`;
  return `${issue.path.map(String).join('.') || whole}: ${issue.message}`;
}

/** Every problem zod found, `path: message; path: message`: for configuration, where all should be fixed at once. */
export function describeIssues(error: z.ZodError, whole = 'value'): string {
  return error.issues.map((i) => `${i.path.map(String).join('.') || whole}: ${i.message}`).join('; ');
}
