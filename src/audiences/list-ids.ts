/**
 * Courier's list ids and list patterns (pure). A list id is dotted segments, as in
 * `sports.football.arsenal`: each segment 1 or more of A-Z a-z 0-9 _ -, at most
 * MAX_LIST_SEGMENTS segments and MAX_LIST_ID_LENGTH characters. A pattern is the same with `*`
 * for any one whole segment: `sports.*.arsenal`, `sports.football.*`. A pattern matches a list
 * of the same number of segments only, so `sports.*` never reaches `sports.football.arsenal`.
 */
export const MAX_LIST_ID_LENGTH = 255;
export const MAX_LIST_SEGMENTS = 16;
const SEGMENT = /^[A-Za-z0-9_-]+$/;

export function listIdProblem(id: string): string | null {
  return dottedProblem(id, false);
}

export function listPatternProblem(pattern: string): string | null {
  return dottedProblem(pattern, true);
}

function dottedProblem(text: string, wildcards: boolean): string | null {
  if (text.length === 0 || text.length > MAX_LIST_ID_LENGTH) return `must be 1 to ${MAX_LIST_ID_LENGTH} characters`;
  const segments = text.split('.');
  if (segments.length > MAX_LIST_SEGMENTS) return `must have at most ${MAX_LIST_SEGMENTS} dot-separated segments`;
  const allowed = wildcards ? 'A-Z a-z 0-9 _ -, or * for any one segment' : 'A-Z a-z 0-9 _ -';
  for (const segment of segments) {
    if (wildcards && segment === '*') continue;
    if (!SEGMENT.test(segment)) return `must be dot-separated segments of ${allowed} (as sports.football.arsenal)`;
  }
  return null;
}

/**
 * The anchored regular expression a valid pattern stands for. Its literal prefix (up to the
 * first `*`) lets MongoDB serve it from the (workspace_id, list_id) index as a range.
 */
export function listPatternRegex(pattern: string): string {
  return `^${pattern
    .split('.')
    // Segments hold no character a regular expression treats specially.
    .map((segment) => (segment === '*' ? '[^.]+' : segment))
    .join('\\.')}$`;
}

export function matchesListPattern(pattern: string, listId: string): boolean {
  return new RegExp(listPatternRegex(pattern)).test(listId);
}
