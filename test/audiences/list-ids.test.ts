import { listIdProblem, listPatternProblem, matchesListPattern } from '../../src/audiences/list-ids';

/** Courier's dotted list ids and per-segment patterns (audiences/list-ids.ts). */
describe('list ids', () => {
  it.each(['sports', 'sports.football.arsenal', 'a-b_c.D9', `${'a.'.repeat(15)}a`])('%s is a list id', (id) => {
    expect(listIdProblem(id)).toBeNull();
  });
  it.each([
    ['', /1 to 255/],
    ['a'.repeat(256), /1 to 255/],
    ['sports..football', /segments/],
    ['.sports', /segments/],
    ['sports.*', /segments/],
    ['sports football', /segments/],
    ['sports/football', /segments/],
    [`${'a.'.repeat(16)}a`, /at most 16/],
  ])('%j is not', (id, problem) => {
    expect(listIdProblem(id)).toMatch(problem);
  });
});

describe('list patterns', () => {
  it.each([
    ['sports.*', 'sports.football', true],
    ['sports.*', 'sports.football.arsenal', false],
    ['sports.*', 'sports', false],
    ['sports.*.arsenal', 'sports.football.arsenal', true],
    ['sports.*.arsenal', 'sports.football.chelsea', false],
    ['*.daily', 'news.daily', true],
    ['*', 'news', true],
    ['*', 'news.daily', false],
    ['sports.football', 'sports.football', true],
    ['sports.football', 'sports.footballs', false],
    ['news.*', 'newsX.daily', false],
  ])('%s against %s: %s', (pattern, listId, matches) => {
    expect(listPatternProblem(pattern)).toBeNull();
    expect(matchesListPattern(pattern, listId)).toBe(matches);
  });
  it.each(['sports.**', 'sports.foot*', 'sports.', '.*', 'sp(orts)'])('%s is not a pattern', (pattern) => {
    expect(listPatternProblem(pattern)).not.toBeNull();
  });
});
