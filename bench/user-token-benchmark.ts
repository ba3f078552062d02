import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { newSigningJwk } from '../src/auth/signing-keys';
import { load, type LoadResult } from './lib/load';
import { startService } from './lib/procs';
import { median, round, spread } from './lib/stats';

/**
 * PUT a token through a user token (JWT) against PUT through an API key, on the same service
 * process, alternating every round (ABBA). 100 client apps, each with its own JWT for its
 * own user, re-registering that user's few device tokens, as a fleet of phones would call; the
 * API-key side PUTs to the same 100 users.
 * The ratio says what user-token verification costs once its cache is warm.
 */
const KEY = 'sk_bench_key_0123456789';
const USERS = 100;
/** Tokens per user and side: a few devices each. */
const DEVICES_PER_USER = 5;
const BODY = JSON.stringify({
  provider_key: 'firebase-fcm',
  device: { app_id: 'com.example.app', platform: 'android', manufacturer: 'Google', model: 'Pixel 8' },
  properties: { plan: 'pro', locale: 'en-GB' },
});

export type UserTokenBenchOptions = { mongoUri: string; node: string; rounds: number; seconds: number; connections: number; log: (line: string) => void };

export async function userTokenBenchmark(options: UserTokenBenchOptions) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-user-tokens-'));
  const keysFile = path.join(dir, 'signing-keys.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [await newSigningJwk()] }));
  const { proc, url } = await startService({
    node: options.node,
    core: 0,
    env: { MONGODB_URI: options.mongoUri, API_KEYS: `ws_bench:${KEY}`, USER_TOKEN_SIGNING_KEYS_FILE: keysFile, AUTH_FAILURES_PER_MINUTE: '0' },
  });
  try {
    const jwts: string[] = [];
    for (let u = 0; u < USERS; u++) {
      const res = await fetch(`${url}/auth/issue-token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify({ scope: `user_id:app-user-${u} write:user-tokens`, expires_in: '1h' }),
      });
      if (res.status !== 200) throw new Error(`issue-token answered ${res.status}`);
      jwts.push(((await res.json()) as { token: string }).token);
    }
    const run = (side: 'apiKey' | 'userToken') => {
      return load({
        url,
        method: 'PUT',
        // Each app re-registers one of its user's few devices, as a fleet of phones does; new
        // tokens without end would put every user past MAX_TOKENS_PER_USER, and measure eviction.
        path: (i) => `/users/app-user-${i % USERS}/tokens/${side}-${Math.floor(i / USERS) % DEVICES_PER_USER}:APA91b${'q'.repeat(140)}`,
        body: BODY,
        headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
        ...(side === 'userToken' ? { headersFor: (i: number) => ({ authorization: `Bearer ${jwts[i % USERS]}`, 'content-type': 'application/json' }) } : {}),
        seconds: options.seconds,
        connections: options.connections,
      });
    };
    const rounds: { apiKey: LoadResult; userToken: LoadResult }[] = [];
    for (let r = 0; r < options.rounds; r++) {
      const order: ('apiKey' | 'userToken')[] = r % 2 === 0 ? ['apiKey', 'userToken'] : ['userToken', 'apiKey'];
      const result: Partial<Record<'apiKey' | 'userToken', LoadResult>> = {};
      for (const side of order) result[side] = await run(side);
      rounds.push(result as { apiKey: LoadResult; userToken: LoadResult });
      options.log(`user-token round ${r + 1}: API key ${round(result.apiKey!.rps, 0)} req/s, user token ${round(result.userToken!.rps, 0)} req/s`);
    }
    const ratios = rounds.map((r) => r.userToken.rps / r.apiKey.rps);
    return {
      rounds: rounds.length,
      clients: USERS,
      api_key_rps_median: round(median(rounds.map((r) => r.apiKey.rps)), 0),
      user_token_rps_median: round(median(rounds.map((r) => r.userToken.rps)), 0),
      ratio_median: round(median(ratios)),
      ratio_spread: { min: round(spread(ratios).min), max: round(spread(ratios).max) },
      errors: rounds.reduce((n, r) => n + r.apiKey.errors + r.apiKey.non2xx + r.userToken.errors + r.userToken.non2xx, 0),
      per_round: rounds,
    };
  } finally {
    await proc.stop();
  }
}
