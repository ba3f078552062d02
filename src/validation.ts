import type { z } from 'zod';
import { ValidationError, type FieldProblem } from './errors';

/** `tokens[2].device.model`: the form every 400 uses to name a field. */
export function formatPath(segments: readonly PropertyKey[], prefix = ''): string {
  let path = prefix;
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else path += path ? `.${String(segment)}` : String(segment);
  }
  return path;
}

export function formatIssuePath(issue: z.core.$ZodIssue, prefix = ''): string {
  return formatPath(issue.path, prefix);
}

/** One problem per field; an object with several unknown keys names each of them. */
export function issuesToProblems(issues: readonly z.core.$ZodIssue[], prefix = ''): FieldProblem[] {
  const problems: FieldProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        problems.push({ path: formatPath([...issue.path, key], prefix), message: 'is not a known field' });
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0 && issue.message === 'Invalid input') {
      // zod reports every branch of a failed union; the first branch's words are the clearest.
      const base = formatIssuePath(issue, prefix);
      problems.push(...issuesToProblems(issue.errors[0]!, base));
    } else {
      problems.push({ path: formatIssuePath(issue, prefix) || prefix || 'body', message: issue.message });
    }
  }
  return problems;
}

/** Parses or throws a ValidationError naming every offending field. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(issuesToProblems(result.error.issues, prefix));
  return result.data;
}
