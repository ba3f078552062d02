import type { Express } from 'express';
import request from 'supertest';

/**
 * One typed client of the service's API for every test (issue 23): ids and tokens are always
 * URL-encoded (FCM tokens hold `:`, Expo tokens `[` and `]`), and the credential is always a
 * bearer. Each call answers supertest's request, so a test chains its own `.expect(status)`;
 * `sendTo` answers the parsed report of a send that must succeed.
 */
export type SendReport = {
  requestId: string;
  results: { user_id: string | null; token: string; provider_key: string | null; outcome: string; reason: string | null }[];
  summary: { delivered: number; invalidated: number; failed: number; skipped: number };
};

const enc = encodeURIComponent;

export function apiClient(app: Express, credential: string) {
  const auth = { Authorization: `Bearer ${credential}` };
  const tokenPath = (user: string, token: string) => `/users/${enc(user)}/tokens/${enc(token)}`;
  return {
    putToken: (user: string, token: string, body: object) => request(app).put(tokenPath(user, token)).set(auth).send(body),
    putTokens: (user: string, tokens: object[]) => request(app).put(`/users/${enc(user)}/tokens`).set(auth).send({ tokens }),
    getToken: (user: string, token: string) => request(app).get(tokenPath(user, token)).set(auth),
    listTokens: (user: string, query = '') => request(app).get(`/users/${enc(user)}/tokens${query ? `?${query}` : ''}`).set(auth),
    patchToken: (user: string, token: string, patch: object[]) => request(app).patch(tokenPath(user, token)).set(auth).send({ patch }),
    deleteToken: (user: string, token: string) => request(app).delete(tokenPath(user, token)).set(auth),
    registerDevice: (person: string, body: object) => request(app).post(`/api/v1/people/${enc(person)}/devices`).set(auth).send(body),
    listDevices: (person: string, query = '') => request(app).get(`/api/v1/people/${enc(person)}/devices${query ? `?${query}` : ''}`).set(auth),
    put: (path: string, body: object) => request(app).put(path).set(auth).send(body),
    get: (path: string) => request(app).get(path).set(auth),
    del: (path: string) => request(app).delete(path).set(auth),
    post: (path: string, body?: object) => request(app).post(path).set(auth).send(body),
    send: (message: object) => request(app).post('/send').set(auth).send({ message }),
    /** A send that must answer 200: its report. */
    sendTo: async (to: unknown, message: object = { content: { title: 'Hello', body: 'World' } }): Promise<SendReport> =>
      (await request(app).post('/send').set(auth).send({ message: { to, ...message } }).expect(200)).body as SendReport,
  };
}
export type ApiClient = ReturnType<typeof apiClient>;
