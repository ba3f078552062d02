import type { FieldProblem } from '../errors';

/**
 * Courier's audience filter, over token fields (pure): `{operator, path, value}` leaves and
 * `{operator: AND | OR, filters}` groups, turned into the MongoDB query it stands for, or
 * problems naming each bad path, operator or value. An audience selects active tokens, not
 * users: "Android devices of app com.example.news on OS 13 or later" is
 *
 *   {operator: AND, filters: [{operator: EQ, path: device.platform, value: android},
 *                             {operator: EQ, path: device.app_id, value: com.example.news},
 *                             {operator: GTE, path: tracking.os_version, value: "13"}]}
 *
 * `tracking.os_version` compares as a version (13 after 9, 13.1 after 13), by major and minor
 * number; every other text path compares as text; dates (`last_used_at`, `created_at`) take an
 * ISO 8601 time; `properties.<key>` matches a value given as text against the text, and against
 * the number or boolean it spells.
 */
export type FilterLeaf = { operator: string; path?: string; value?: string | string[] | number | boolean | null; filters?: undefined };
export type FilterGroup = { operator: string; filters: FilterNode[]; path?: undefined; value?: undefined };
export type FilterNode = FilterLeaf | FilterGroup;
export type Query = Record<string, unknown>;

export const FILTER_OPERATORS = ['EQ', 'NEQ', 'IN', 'STARTS_WITH', 'ENDS_WITH', 'EXISTS', 'GT', 'GTE', 'LT', 'LTE', 'IS_BEFORE', 'IS_AFTER'] as const;
export const TEXT_PATHS = ['provider_key', 'device.app_id', 'device.platform', 'device.manufacturer', 'device.model', 'tracking.os_version'] as const;
export const DATE_PATHS = ['last_used_at', 'created_at'] as const;
/** Leaves one audience may have, and how deep its groups may nest. */
export const MAX_FILTER_LEAVES = 50;
export const MAX_FILTER_DEPTH = 5;
/** Values one IN may list. */
export const MAX_IN_VALUES = 100;
const PROPERTY_KEY = /^[A-Za-z0-9_-]{1,64}$/;

type Operator = (typeof FILTER_OPERATORS)[number];
type Built = { query: Query } | { problems: FieldProblem[] };

/** The query for a whole audience: its filters joined by `operator` (AND by default). */
export function audienceQuery(filters: readonly FilterNode[], operator: string | undefined, basePath = 'filter.filters'): Built {
  const problems: FieldProblem[] = [];
  const leaves = { count: 0 };
  const top = operator ?? 'AND';
  if (top !== 'AND' && top !== 'OR') problems.push({ path: 'operator', message: `"${String(top).slice(0, 32)}" is not AND or OR` });
  const parts = filters.map((node, i) => build(node, `${basePath}.${i}`, 1, problems, leaves));
  if (leaves.count > MAX_FILTER_LEAVES) problems.push({ path: basePath, message: `must have at most ${MAX_FILTER_LEAVES} conditions in all` });
  if (problems.length > 0) return { problems };
  if (parts.length === 0) return { query: {} };
  return { query: parts.length === 1 ? parts[0]! : { [top === 'OR' ? '$or' : '$and']: parts } };
}

function build(node: FilterNode, at: string, depth: number, problems: FieldProblem[], leaves: { count: number }): Query {
  if (node === null || typeof node !== 'object') {
    problems.push({ path: at, message: 'must be a condition {operator, path, value} or a group {operator, filters}' });
    return {};
  }
  if (node.filters !== undefined) {
    if (node.operator !== 'AND' && node.operator !== 'OR') {
      problems.push({ path: `${at}.operator`, message: `"${String(node.operator).slice(0, 32)}" is not AND or OR (a group joins its filters with one of them)` });
      return {};
    }
    if (depth >= MAX_FILTER_DEPTH) {
      problems.push({ path: at, message: `groups may nest at most ${MAX_FILTER_DEPTH} deep` });
      return {};
    }
    if (!Array.isArray(node.filters) || node.filters.length === 0) {
      problems.push({ path: `${at}.filters`, message: 'must hold at least one filter' });
      return {};
    }
    const parts = node.filters.map((child, i) => build(child, `${at}.filters.${i}`, depth + 1, problems, leaves));
    return { [node.operator === 'AND' ? '$and' : '$or']: parts };
  }
  leaves.count++;
  return leaf(node, at, problems);
}

function leaf(node: FilterLeaf, at: string, problems: FieldProblem[]): Query {
  const operator = node.operator as Operator;
  if (!(FILTER_OPERATORS as readonly string[]).includes(operator)) {
    problems.push({ path: `${at}.operator`, message: `"${String(node.operator).slice(0, 32)}" is not an operator this service serves (${FILTER_OPERATORS.join(', ')}; AND and OR for groups)` });
    return {};
  }
  const path = node.path;
  const kind = typeof path === 'string' ? pathKind(path) : undefined;
  if (kind === undefined) {
    problems.push({ path: `${at}.path`, message: `"${String(path).slice(0, 64)}" is not a token field an audience can filter on (${[...TEXT_PATHS, ...DATE_PATHS, 'properties.<key>'].join(', ')})` });
    return {};
  }
  const condition = kind === 'date' ? dateCondition(operator, node.value) : kind === 'version' ? versionCondition(operator, node.value) : textCondition(operator, node.value, kind === 'property');
  if ('problem' in condition) {
    problems.push({ path: `${at}.value`, message: condition.problem });
    return {};
  }
  return { [path!]: condition.match };
}

function pathKind(path: string): 'text' | 'version' | 'date' | 'property' | undefined {
  if (path === 'tracking.os_version') return 'version';
  if ((TEXT_PATHS as readonly string[]).includes(path)) return 'text';
  if ((DATE_PATHS as readonly string[]).includes(path)) return 'date';
  if (path.startsWith('properties.') && PROPERTY_KEY.test(path.slice('properties.'.length))) return 'property';
  return undefined;
}

type Condition = { match: unknown } | { problem: string };

function textValue(value: FilterLeaf['value']): string | undefined {
  if (typeof value === 'string') return value.length <= 1024 ? value : undefined;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A property's value as stored may be text, a number or a boolean: "5" matches 5 and "5", "true" matches true and "true". */
function spelled(text: string, property: boolean): unknown[] {
  if (!property) return [text];
  const values: unknown[] = [text];
  if (text === 'true' || text === 'false') values.push(text === 'true');
  else if (/^-?\d+(\.\d+)?$/.test(text) && Number.isFinite(Number(text))) values.push(Number(text));
  return values;
}

function textCondition(operator: Operator, raw: FilterLeaf['value'], property: boolean): Condition {
  if (operator === 'EXISTS') return existsCondition(raw);
  if (operator === 'IN') {
    const values = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',').map((v) => v.trim()) : undefined;
    if (!values || values.length === 0 || values.length > MAX_IN_VALUES || values.some((v) => typeof v !== 'string' || v.length > 1024)) {
      return { problem: `IN takes 1 to ${MAX_IN_VALUES} values, as an array of strings or one comma-separated string` };
    }
    return { match: { $in: values.flatMap((v) => spelled(v, property)) } };
  }
  const text = textValue(raw);
  if (text === undefined) return { problem: `${operator} takes a string value of at most 1,024 characters` };
  const values = spelled(text, property);
  const number = values.find((v) => typeof v === 'number');
  switch (operator) {
    case 'EQ':
      return { match: values.length === 1 ? text : { $in: values } };
    case 'NEQ':
      return { match: values.length === 1 ? { $ne: text } : { $nin: values } };
    case 'STARTS_WITH':
      return { match: { $regex: `^${escapeRegex(text)}` } };
    case 'ENDS_WITH':
      return { match: { $regex: `${escapeRegex(text)}$` } };
    case 'GT':
    case 'GTE':
    case 'LT':
    case 'LTE':
      // A property that spells a number compares as a number; anything else as text.
      return { match: { [`$${operator.toLowerCase()}`]: number ?? text } };
    default:
      return { problem: `${operator} compares times: use it on ${DATE_PATHS.join(' or ')}` };
  }
}

function existsCondition(raw: FilterLeaf['value']): Condition {
  const text = raw === undefined || raw === null ? 'true' : textValue(raw);
  if (text !== 'true' && text !== 'false') return { problem: 'EXISTS takes "true" (the default) or "false"' };
  return { match: text === 'true' ? { $exists: true, $ne: null } : { $in: [null] } };
}

function dateCondition(operator: Operator, raw: FilterLeaf['value']): Condition {
  if (operator === 'EXISTS') return existsCondition(raw);
  const comparison = { GT: '$gt', IS_AFTER: '$gt', GTE: '$gte', LT: '$lt', IS_BEFORE: '$lt', LTE: '$lte' }[operator as string];
  if (!comparison) return { problem: `${operator} does not compare times: use IS_BEFORE, IS_AFTER, GT, GTE, LT, LTE or EXISTS` };
  const at = typeof raw === 'string' && /^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(raw) ? new Date(raw) : undefined;
  if (!at || !Number.isFinite(at.getTime())) return { problem: `${operator} takes an ISO 8601 time, as 2026-12-01T09:00:00Z or 2026-12-01` };
  return { match: { [comparison]: at } };
}

/**
 * tracking.os_version as a version: "13", "13.4" or "17.2.1" compare by major, then minor
 * number (13 after 9, 13.10 after 13.9). Stored as text, so the comparison is a regular
 * expression over the numbers that qualify, which MongoDB runs as any other.
 */
function versionCondition(operator: Operator, raw: FilterLeaf['value']): Condition {
  if (!['GT', 'GTE', 'LT', 'LTE'].includes(operator)) return textCondition(operator, raw, false);
  const text = textValue(raw);
  const parts = text !== undefined && /^\d{1,4}(\.\d{1,4})?$/.test(text) ? text.split('.').map(Number) : undefined;
  if (!parts) return { problem: `${operator} on tracking.os_version takes a version of one or two numbers, as 13 or 16.4` };
  const [major, minor] = [parts[0]!, parts[1] ?? 0];
  // A stored version A.B (B is 0 when absent) qualifies by its major A, or, on the same major, by its minor B.
  const majors = operator === 'GT' || operator === 'GTE' ? numbersAbove(major) : numbersBelow(major);
  const minors = { GT: numbersAbove(minor), GTE: numbersAbove(minor - 1), LT: numbersBelow(minor), LTE: numbersBelow(minor + 1) }[operator as 'GT' | 'GTE' | 'LT' | 'LTE'];
  const bareMajor = { GT: false, GTE: minor === 0, LT: minor > 0, LTE: true }[operator as 'GT' | 'GTE' | 'LT' | 'LTE'];
  const alternatives = [
    ...(majors ? [`^(${majors})(\\.|$)`] : []),
    ...(minors ? [`^${major}\\.(${minors})(\\.|$)`] : []),
    ...(bareMajor ? [`^${major}$`] : []),
  ];
  // Nothing qualifies (LT 0): a pattern no text matches.
  return { match: { $regex: alternatives.length > 0 ? alternatives.join('|') : '$^.' } };
}

/** A regular expression alternation of the whole numbers (without leading zeros) greater than n. */
export function numbersAbove(n: number): string {
  if (n < 0) return '\\d+';
  const options: string[] = [];
  const digits = String(n);
  // Same length, greater: for each position, the same prefix, a greater digit there, anything after.
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i]);
    if (d === 9) continue;
    const rest = digits.length - i - 1;
    options.push(`${digits.slice(0, i)}[${d + 1}-9]${rest > 0 ? `\\d{${rest}}` : ''}`);
  }
  // Longer: any number with more digits.
  options.push(`[1-9]\\d{${digits.length},}`);
  return options.join('|');
}

/** A regular expression alternation of the whole numbers (without leading zeros) smaller than n; empty when none. */
export function numbersBelow(n: number): string {
  if (n <= 0) return '';
  const options: string[] = [];
  const digits = String(n);
  // Shorter: any number with fewer digits (0 is the one-digit zero).
  if (digits.length > 1) options.push('\\d', ...Array.from({ length: digits.length - 2 }, (_, k) => `[1-9]\\d{${k + 1}}`));
  // Same length, smaller: the same prefix, a smaller digit there (no leading zero), anything after.
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i]);
    const low = i === 0 && digits.length > 1 ? 1 : 0;
    if (d <= low) continue;
    const rest = digits.length - i - 1;
    options.push(`${digits.slice(0, i)}[${low}-${d - 1}]${rest > 0 ? `\\d{${rest}}` : ''}`);
  }
  return options.join('|');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A filter that passed audienceQuery, copied with only the fields Courier's shape has: what is stored and answered. */
export function cleanFilter(node: FilterNode): FilterNode {
  if (node.filters !== undefined) return { operator: node.operator, filters: node.filters.map(cleanFilter) };
  return { operator: node.operator, path: node.path!, ...(node.value !== undefined ? { value: node.value } : {}) };
}
