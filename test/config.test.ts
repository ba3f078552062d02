import { generateVapidKeys } from '../src/providers/webpush-vapid';
import { ConfigError, loadConfig } from '../src/config';

const base = { API_KEYS: 'ws_demo:sk_demo_123' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      mongodbUri: undefined,
      mongodbTimeoutMs: 1500,
      defaultTokenTtl: { amount: 2, unit: 'mo' },
      shutdownTimeoutMs: 10_000,
    });
    expect(config.apiKeys).toEqual([{ workspaceId: 'ws_demo', key: 'sk_demo_123', scopes: ['tokens:read', 'tokens:write', 'devices:read', 'devices:write', 'send', 'apps:read', 'apps:write', 'messages:read', 'webhooks:read', 'webhooks:write', 'lists:read', 'lists:write', 'audiences:read', 'audiences:write'] }]);
  });

  it('Live Activity channels: Apple’s channel hosts and 10,000 a workspace by default; APNS_CHANNELS_ENDPOINT redirects both environments, the sandbox one only its own', () => {
    const defaults = loadConfig(base);
    expect(defaults.delivery.endpoints).toMatchObject({ apnsChannels: undefined, apnsChannelsSandbox: undefined });
    expect(defaults.workspaceLimits.liveActivityChannels).toBe(10_000);
    const both = loadConfig({ ...base, APNS_CHANNELS_ENDPOINT: 'https://127.0.0.1:2196', MAX_LIVE_ACTIVITY_CHANNELS: '50' });
    expect(both.delivery.endpoints.apnsChannels?.href).toBe('https://127.0.0.1:2196/');
    expect(both.delivery.endpoints.apnsChannelsSandbox?.href).toBe('https://127.0.0.1:2196/');
    expect(both.workspaceLimits.liveActivityChannels).toBe(50);
    const apart = loadConfig({ ...base, APNS_CHANNELS_ENDPOINT: 'https://127.0.0.1:2196', APNS_CHANNELS_SANDBOX_ENDPOINT: 'https://127.0.0.1:2195' });
    expect(apart.delivery.endpoints.apnsChannelsSandbox?.href).toBe('https://127.0.0.1:2195/');
    expect(() => loadConfig({ ...base, APNS_CHANNELS_ENDPOINT: 'http://127.0.0.1:2196' })).toThrow(/APNS_CHANNELS_ENDPOINT/);
    expect(() => loadConfig({ ...base, MAX_LIVE_ACTIVITY_CHANNELS: '0' })).toThrow(/MAX_LIVE_ACTIVITY_CHANNELS/);
  });

  it('per-user bounds and the start-up wait (issue 18): defaults, values, and bad values named', () => {
    expect(loadConfig(base)).toMatchObject({ userLimits: { maxTokens: 100, maxBytes: 1_048_576 }, mongodbStartupWaitMs: 60_000 });
    expect(loadConfig({ ...base, MAX_TOKENS_PER_USER: '20', MAX_BYTES_PER_USER: '200000', MONGODB_STARTUP_WAIT: '0s' })).toMatchObject({ userLimits: { maxTokens: 20, maxBytes: 200_000 }, mongodbStartupWaitMs: 0 });
    for (const [name, value] of <[string, string][]>[['MAX_TOKENS_PER_USER', '0'], ['MAX_TOKENS_PER_USER', 'many'], ['MAX_BYTES_PER_USER', '1000'], ['MONGODB_STARTUP_WAIT', 'a while']]) {
      expect(() => loadConfig({ ...base, [name]: value })).toThrow(name);
    }
  });

  it('parses scoped keys', () => {
    const config = loadConfig({ API_KEYS: 'ws_a:sk_full_1234,ws_a:sk_ro_12345=tokens:read+devices:read' });
    expect(config.apiKeys[1]).toEqual({ workspaceId: 'ws_a', key: 'sk_ro_12345', scopes: ['tokens:read', 'devices:read'] });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ ...base, PORT: '', MONGODB_URI: '' }).port).toBe(3000);
  });

  it('lists every bad variable at once, without echoing key text', () => {
    let error: unknown;
    try {
      loadConfig({ API_KEYS: 'nocolon_secretvalue', PORT: 'eighty', DEFAULT_TOKEN_TTL: 'soon', MONGODB_URI: 'http://x', NODE_ENV: 'staging' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const text = (error as ConfigError).message;
    for (const name of ['API_KEYS', 'PORT', 'DEFAULT_TOKEN_TTL', 'MONGODB_URI', 'NODE_ENV']) expect(text).toContain(name);
    expect(text).not.toContain('secretvalue');
  });

  it('requires API_KEYS', () => {
    expect(() => loadConfig({})).toThrow(/API_KEYS/);
  });

  it('requires MONGODB_URI in production', () => {
    expect(() => loadConfig({ ...base, NODE_ENV: 'production' })).toThrow(/MONGODB_URI is required/);
    expect(loadConfig({ ...base, NODE_ENV: 'production', MONGODB_URI: 'mongodb://db:27017/push' }).mongodbUri).toBe('mongodb://db:27017/push');
  });

  it.each([
    ['an unknown scope', 'ws:sk_key_12345=tokens:delete'],
    ['an empty scope list', 'ws:sk_key_12345='],
    ['a short key', 'ws:short'],
    ['a duplicate key', 'ws:sk_key_12345,ws2:sk_key_12345'],
    ['a bad workspace id', 'w s:sk_key_12345'],
  ])('refuses API_KEYS with %s', (_name, value) => {
    expect(() => loadConfig({ API_KEYS: value })).toThrow(/API_KEYS/);
  });

  it('turns Expo on by default (no credential needed), with receipts at 15m / 1m, and the console on', () => {
    const config = loadConfig(base);
    expect(config.expo).toEqual({});
    expect(config.expoReceipts).toEqual({ delayMs: 15 * 60_000, intervalMs: 60_000 });
    expect(config.consoleEnabled).toBe(true);
  });

  it('reads the Expo settings, and EXPO_ENABLED=false and CONSOLE_ENABLED=false turn them off', () => {
    const config = loadConfig({ ...base, EXPO_ACCESS_TOKEN: 'expo-token-0123', EXPO_BASE_URL: 'https://127.0.0.1:6443', EXPO_RECEIPT_DELAY: '1m', EXPO_RECEIPT_INTERVAL: '30s' });
    expect(config.expo).toEqual({ accessToken: 'expo-token-0123', baseUrl: new URL('https://127.0.0.1:6443') });
    expect(config.delivery.endpoints.expo).toEqual(new URL('https://127.0.0.1:6443'));
    expect(config.expoReceipts).toEqual({ delayMs: 60_000, intervalMs: 30_000 });
    const off = loadConfig({ ...base, EXPO_ENABLED: 'false', CONSOLE_ENABLED: 'false' });
    expect(off.expo).toBeUndefined();
    expect(off.consoleEnabled).toBe(false);
  });

  it.each([
    ['EXPO_BASE_URL', 'exp.host'],
    ['EXPO_RECEIPT_DELAY', 'soon'],
    ['EXPO_ENABLED', 'maybe'],
  ])('refuses a bad %s, naming it', (name, value) => {
    expect(() => loadConfig({ ...base, [name]: value })).toThrow(new RegExp(name));
  });

  it('Web Push: the browsers\' push services by default, no private addresses, and no instance key until all three VAPID variables are set', () => {
    const config = loadConfig(base);
    expect(config.delivery.webpush).toEqual({
      endpoints: { allowedHosts: ['fcm.googleapis.com', 'updates.push.services.mozilla.com', '*.push.apple.com', '*.notify.windows.com'], allowPrivate: false },
      connectionsPerHost: 32,
      timeoutMs: 30_000,
    });
    expect(config.webpushVapid).toBeUndefined();
    const pair = generateVapidKeys();
    const set = loadConfig({ ...base, WEBPUSH_VAPID_PUBLIC_KEY: pair.publicKey, WEBPUSH_VAPID_PRIVATE_KEY: pair.privateKey, WEBPUSH_SUBJECT: 'mailto:ops@example.com', WEBPUSH_ALLOWED_HOSTS: '127.0.0.1, *.Example.com', WEBPUSH_ALLOW_PRIVATE: 'true' });
    expect(set.webpushVapid).toEqual({ publicKey: pair.publicKey, privateKey: pair.privateKey, subject: 'mailto:ops@example.com' });
    expect(set.delivery.webpush.endpoints).toEqual({ allowedHosts: ['127.0.0.1', '*.example.com'], allowPrivate: true });
  });

  it.each([
    ['only two of the VAPID variables', { WEBPUSH_VAPID_PUBLIC_KEY: 'x' }, /WEBPUSH_VAPID_PRIVATE_KEY/],
    ['a mismatched VAPID pair', { WEBPUSH_VAPID_PUBLIC_KEY: generateVapidKeys().publicKey, WEBPUSH_VAPID_PRIVATE_KEY: generateVapidKeys().privateKey, WEBPUSH_SUBJECT: 'mailto:a@b.c' }, /WEBPUSH_VAPID_PUBLIC_KEY is not the public key/],
    ['a subject that is no URL', { ...(() => { const p = generateVapidKeys(); return { WEBPUSH_VAPID_PUBLIC_KEY: p.publicKey, WEBPUSH_VAPID_PRIVATE_KEY: p.privateKey }; })(), WEBPUSH_SUBJECT: 'ops@example.com' }, /WEBPUSH_SUBJECT/],
    ['a host list with a URL in it', { WEBPUSH_ALLOWED_HOSTS: 'https://fcm.googleapis.com' }, /WEBPUSH_ALLOWED_HOSTS/],
  ])('refuses %s, naming the variable and never quoting a key', (_name, env, message) => {
    let error: Error | undefined;
    try {
      loadConfig({ ...base, ...env });
    } catch (caught) {
      error = caught as Error;
    }
    expect(error?.message).toMatch(message);
    const secret = (env as Record<string, string>).WEBPUSH_VAPID_PRIVATE_KEY;
    if (secret) expect(error!.message).not.toContain(secret);
  });
});
