import { errorForLog, maskSecret } from '../src/logger';

describe('log masking', () => {
  it('shows at most the last 4 characters of a secret', () => {
    expect(maskSecret('sk_live_abcdefgh1234')).toBe('****1234');
    expect(maskSecret('tiny')).toBe('****');
  });

  it('masks duplicate keys and quoted values in driver errors', () => {
    const error = Object.assign(new Error('E11000 duplicate key error collection: db.tokens index: u dup key: { workspace_id: "ws", token: "secret-token-value-1234" }'), { code: 11000 });
    const logged = JSON.stringify(errorForLog(error));
    expect(logged).not.toContain('secret-token-value');
    expect(logged).toContain('11000');
  });
});
