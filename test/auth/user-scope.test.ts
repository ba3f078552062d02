import { formatUserScope, parseUserScope } from '../../src/auth/user-scope';

describe('parseUserScope (Courier scope grammar)', () => {
  it.each([
    ['user_id:u1 read:user-tokens', { userIds: ['u1'], read: true, write: false }],
    ['user_id:u1 write:user-tokens', { userIds: ['u1'], read: false, write: true }],
    ['user_id:u1 user_id:u2 read:user-tokens write:user-tokens', { userIds: ['u1', 'u2'], read: true, write: true }],
    ['user_id:u1 inbox:read:messages read:preferences read:brands write:user-tokens', { userIds: ['u1'], read: false, write: true }],
    ['  user_id:u1\tread:user-tokens  ', { userIds: ['u1'], read: true, write: false }],
    ['user_id:u1 user_id:u1', { userIds: ['u1'], read: false, write: false }],
    ['user_id:a:b:c read:user-tokens', { userIds: ['a:b:c'], read: true, write: false }],
    ['user_id:josé', { userIds: ['josé'], read: false, write: false }],
  ])('%j', (text, expected) => {
    expect(parseUserScope(text)).toEqual({ scope: expected });
  });

  it.each([
    ['', /at least one user/],
    ['read:user-tokens write:user-tokens', /at least one user/],
    ['user_id: read:user-tokens', /user_id: followed by/],
    ['user_id:evil\u202e', /user_id: followed by/],
    [`user_id:${'x'.repeat(257)}`, /user_id: followed by/],
    [Array.from({ length: 101 }, (_, i) => `user_id:u${i}`).join(' '), /at most 100/],
  ])('refuses %j', (text, problem) => {
    const parsed = parseUserScope(text);
    expect('problem' in parsed && parsed.problem).toMatch(problem);
  });

  it('formats back to the grammar', () => {
    expect(formatUserScope({ userIds: ['u1', 'u2'], read: true, write: true })).toBe('user_id:u1 user_id:u2 read:user-tokens write:user-tokens');
  });
});
