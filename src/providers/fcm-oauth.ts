import { createSign } from 'node:crypto';
import https from 'node:https';
import type { Credential, GoogleOAuthAccessToken } from 'firebase-admin/app';
import type { FcmServiceAccount } from './fcm-provider';

/**
 * The service-account OAuth exchange (RFC 7523 JWT-bearer grant) against `<endpoint>/token`,
 * used only when FCM_ENDPOINT points firebase-admin at a simulator. firebase-admin's own
 * cert(account, httpAgent) would be the natural choice, but since google-auth-library 10 it
 * drops the agent and always calls oauth2.googleapis.com (measured with firebase-admin 13.9
 * and 13.10 here). Production (no FCM_ENDPOINT) uses cert() unchanged.
 */
const SCOPE = 'https://www.googleapis.com/auth/firebase.messaging';
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';
const ASSERTION_LIFETIME_S = 3600;

export class EndpointServiceAccountCredential implements Credential {
  constructor(
    private readonly account: FcmServiceAccount,
    private readonly endpoint: URL,
  ) {}

  async getAccessToken(): Promise<GoogleOAuthAccessToken> {
    const now = Math.floor(Date.now() / 1000);
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256', typ: 'JWT' })}.${encode({
      iss: this.account.client_email,
      scope: SCOPE,
      // The audience is Google's token URL, as a real exchange's would be, wherever it is sent.
      aud: GOOGLE_TOKEN_URL,
      iat: now,
      exp: now + ASSERTION_LIFETIME_S,
    })}`;
    const signature = createSign('RSA-SHA256').update(unsigned).sign(this.account.private_key).toString('base64url');
    const form = new URLSearchParams({ grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer', assertion: `${unsigned}.${signature}` }).toString();
    const body = await post(new URL('/token', this.endpoint), form);
    const parsed = JSON.parse(body) as Partial<GoogleOAuthAccessToken> & { error?: string };
    if (!parsed.access_token || typeof parsed.expires_in !== 'number') {
      throw new Error(`OAuth token exchange failed: ${parsed.error ?? 'no access_token in the answer'}`);
    }
    return { access_token: parsed.access_token, expires_in: parsed.expires_in };
  }
}

function post(url: URL, form: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const request = https.request(
      url,
      {
        method: 'POST',
        // A fresh connection per exchange (about once an hour): nothing lingers after close().
        agent: false,
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(form), connection: 'close' },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve(text));
      },
    );
    request.on('error', reject);
    request.end(form);
  });
}
