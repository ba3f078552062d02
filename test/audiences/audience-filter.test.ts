import { audienceQuery, numbersAbove, numbersBelow, type FilterNode } from '../../src/audiences/audience-filter';

/** The audience filter → MongoDB query mapping, table by table (audiences/audience-filter.ts). */
const leaf = (operator: string, path: string, value?: unknown): FilterNode => ({ operator, path, ...(value !== undefined ? { value } : {}) }) as FilterNode;
const queryOf = (filters: FilterNode[], operator?: string) => {
  const built = audienceQuery(filters, operator);
  if ('problems' in built) throw new Error(JSON.stringify(built.problems));
  return built.query;
};
const problemsOf = (filters: unknown[], operator?: string) => {
  const built = audienceQuery(filters as FilterNode[], operator);
  return 'problems' in built ? built.problems : [];
};

describe('leaves', () => {
  it.each([
    ['EQ on a text path', leaf('EQ', 'device.platform', 'android'), { 'device.platform': 'android' }],
    ['NEQ', leaf('NEQ', 'provider_key', 'expo'), { provider_key: { $ne: 'expo' } }],
    ['IN from an array', leaf('IN', 'provider_key', ['apn', 'expo']), { provider_key: { $in: ['apn', 'expo'] } }],
    ['IN from a comma-separated string', leaf('IN', 'device.model', 'Pixel 8, Pixel 9'), { 'device.model': { $in: ['Pixel 8', 'Pixel 9'] } }],
    ['STARTS_WITH escapes the text', leaf('STARTS_WITH', 'device.app_id', 'com.example.'), { 'device.app_id': { $regex: '^com\\.example\\.' } }],
    ['ENDS_WITH', leaf('ENDS_WITH', 'device.manufacturer', 'Inc (US)'), { 'device.manufacturer': { $regex: 'Inc \\(US\\)$' } }],
    ['EXISTS, by default true', leaf('EXISTS', 'device.model'), { 'device.model': { $exists: true, $ne: null } }],
    ['EXISTS false', leaf('EXISTS', 'device.model', 'false'), { 'device.model': { $in: [null] } }],
    ['GT on text compares text', leaf('GT', 'device.model', 'M'), { 'device.model': { $gt: 'M' } }],
    ['a property spelled as a number matches the number and the text', leaf('EQ', 'properties.level', '5'), { 'properties.level': { $in: ['5', 5] } }],
    ['a property spelled as a boolean', leaf('EQ', 'properties.beta', 'true'), { 'properties.beta': { $in: ['true', true] } }],
    ['a property compared as a number', leaf('GTE', 'properties.level', '5'), { 'properties.level': { $gte: 5 } }],
    ['a property that is text', leaf('NEQ', 'properties.plan', 'free'), { 'properties.plan': { $ne: 'free' } }],
    ['IS_BEFORE a date', leaf('IS_BEFORE', 'last_used_at', '2026-11-01'), { last_used_at: { $lt: new Date('2026-11-01') } }],
    ['IS_AFTER a time', leaf('IS_AFTER', 'created_at', '2026-11-01T09:00:00Z'), { created_at: { $gt: new Date('2026-11-01T09:00:00Z') } }],
    ['LTE a time', leaf('LTE', 'created_at', '2026-11-01T09:00:00+02:00'), { created_at: { $lte: new Date('2026-11-01T07:00:00Z') } }],
    ['EQ on the OS version is text', leaf('EQ', 'tracking.os_version', '17.2'), { 'tracking.os_version': '17.2' }],
  ])('%s', (_name, node, query) => {
    expect(queryOf([node])).toEqual(query);
  });
});

describe('tracking.os_version compares as a version', () => {
  const versions = ['8', '9', '9.3', '10', '12', '13', '13.0', '13.1', '13.4', '13.10', '13.4.1', '14', '16.4', '17.2.1', '100', 'beta'];
  const matching = (operator: string, value: string) => {
    const query = queryOf([leaf(operator, 'tracking.os_version', value)]) as Record<string, { $regex: string }>;
    const pattern = new RegExp(query['tracking.os_version']!.$regex);
    return versions.filter((v) => pattern.test(v));
  };
  it.each([
    ['GTE', '13', ['13', '13.0', '13.1', '13.4', '13.10', '13.4.1', '14', '16.4', '17.2.1', '100']],
    ['GT', '13', ['13.1', '13.4', '13.10', '13.4.1', '14', '16.4', '17.2.1', '100']],
    ['GTE', '13.4', ['13.4', '13.10', '13.4.1', '14', '16.4', '17.2.1', '100']],
    ['GT', '13.4', ['13.10', '14', '16.4', '17.2.1', '100']],
    ['LT', '13', ['8', '9', '9.3', '10', '12']],
    ['LTE', '13', ['8', '9', '9.3', '10', '12', '13', '13.0']],
    ['LT', '13.4', ['8', '9', '9.3', '10', '12', '13', '13.0', '13.1']],
    ['LTE', '13.4', ['8', '9', '9.3', '10', '12', '13', '13.0', '13.1', '13.4', '13.4.1']],
    ['LT', '0', []],
    ['GTE', '0', ['8', '9', '9.3', '10', '12', '13', '13.0', '13.1', '13.4', '13.10', '13.4.1', '14', '16.4', '17.2.1', '100']],
  ])('%s %s', (operator, value, expected) => {
    expect(matching(operator, value)).toEqual(expected);
  });

  it.each([0, 1, 5, 9, 10, 13, 19, 20, 99, 100, 101, 250, 999, 1000])('numbersAbove(%i) and numbersBelow(%i) split 0..2000 exactly', (n) => {
    const above = new RegExp(`^(${numbersAbove(n)})$`);
    const below = numbersBelow(n) ? new RegExp(`^(${numbersBelow(n)})$`) : /$^./;
    for (let k = 0; k <= 2000; k++) {
      expect([k, above.test(String(k))]).toEqual([k, k > n]);
      expect([k, below.test(String(k))]).toEqual([k, k < n]);
    }
  });
});

describe('groups', () => {
  it('joins the top level by the audience’s operator, AND by default', () => {
    const a = leaf('EQ', 'provider_key', 'apn');
    const b = leaf('EQ', 'device.platform', 'ios');
    expect(queryOf([a, b])).toEqual({ $and: [{ provider_key: 'apn' }, { 'device.platform': 'ios' }] });
    expect(queryOf([a, b], 'OR')).toEqual({ $or: [{ provider_key: 'apn' }, { 'device.platform': 'ios' }] });
    expect(queryOf([a])).toEqual({ provider_key: 'apn' });
    expect(queryOf([])).toEqual({});
  });

  it('nests AND and OR groups', () => {
    const query = queryOf([{ operator: 'OR', filters: [leaf('EQ', 'provider_key', 'apn'), { operator: 'AND', filters: [leaf('EQ', 'provider_key', 'firebase-fcm'), leaf('GTE', 'properties.level', '3')] }] }]);
    expect(query).toEqual({ $or: [{ provider_key: 'apn' }, { $and: [{ provider_key: 'firebase-fcm' }, { 'properties.level': { $gte: 3 } }] }] });
  });
});

describe('problems name the path', () => {
  it.each([
    ['an unknown path', [leaf('EQ', 'device.colour', 'red')], 'filter.filters.0.path', /device\.colour.*is not a token field/],
    ['a path outside the token', [leaf('EQ', 'user_id', 'x')], 'filter.filters.0.path', /user_id/],
    ['a property key with a dot', [leaf('EQ', 'properties.a.b', 'x')], 'filter.filters.0.path', /properties\.a\.b/],
    ['a property key with a $', [leaf('EQ', 'properties.$where', 'x')], 'filter.filters.0.path', /is not a token field/],
    ['an unknown operator', [leaf('LIKE', 'provider_key', 'apn')], 'filter.filters.0.operator', /"LIKE" is not an operator/],
    ['Courier’s INCLUDES, not served', [leaf('INCLUDES', 'provider_key', 'apn')], 'filter.filters.0.operator', /INCLUDES/],
    ['a date that is not one', [leaf('IS_BEFORE', 'last_used_at', 'yesterday')], 'filter.filters.0.value', /ISO 8601/],
    ['IS_BEFORE on text', [leaf('IS_BEFORE', 'device.model', '2026-01-01')], 'filter.filters.0.value', /compares times/],
    ['a version that is not one', [leaf('GTE', 'tracking.os_version', 'thirteen')], 'filter.filters.0.value', /version/],
    ['a value that is an object', [leaf('EQ', 'provider_key', { $ne: 1 })], 'filter.filters.0.value', /string/],
    ['IN with nothing', [leaf('IN', 'provider_key', [])], 'filter.filters.0.value', /IN takes/],
    ['a group with another operator', [{ operator: 'XOR', filters: [leaf('EQ', 'provider_key', 'apn')] }], 'filter.filters.0.operator', /AND or OR/],
    ['an empty group', [{ operator: 'AND', filters: [] }], 'filter.filters.0.filters', /at least one/],
    ['a nested problem', [{ operator: 'AND', filters: [leaf('EQ', 'provider_key', 'apn'), leaf('EQ', 'nope', 'x')] }], 'filter.filters.0.filters.1.path', /nope/],
    ['not an object', ['provider_key'], 'filter.filters.0', /condition/],
  ])('%s', (_name, filters, path, message) => {
    const problems = problemsOf(filters);
    expect(problems).toEqual([expect.objectContaining({ path, message: expect.stringMatching(message) })]);
  });

  it('groups nested too deep', () => {
    let node: FilterNode = leaf('EQ', 'provider_key', 'apn');
    for (let i = 0; i < 6; i++) node = { operator: 'AND', filters: [node] };
    expect(problemsOf([node])[0]?.message).toMatch(/nest at most/);
  });

  it('more conditions than an audience may have', () => {
    expect(problemsOf(Array.from({ length: 51 }, () => leaf('EQ', 'provider_key', 'apn')))[0]?.message).toMatch(/at most 50/);
  });

  it('a top-level operator other than AND or OR', () => {
    expect(problemsOf([leaf('EQ', 'provider_key', 'apn')], 'NOR')).toEqual([expect.objectContaining({ path: 'operator' })]);
  });
});
