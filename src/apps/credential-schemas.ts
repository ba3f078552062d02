import { UUID_PATTERN } from '../tokens/token-formats';
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';

/**
 * What a credential and an app look like on the way in. Key material is checked offline
 * here, so a malformed .p8 or service account is a 400 naming the field, with nothing stored.
 * Error messages never quote key material.
 */
export const APNS_ENVIRONMENTS = ['production', 'sandbox'] as const;
export type ApnsEnvironment = (typeof APNS_ENVIRONMENTS)[number];
export const APP_ENVIRONMENTS = ['production', 'sandbox', 'auto'] as const;

export const credentialId = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1-64 of A-Z a-z 0-9 . _ -');
/** A bundle id or package name, as tokens carry in device.app_id; `default` serves the rest. */
export const appId = z.string().regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be 1-256 of A-Z a-z 0-9 . _ - (a bundle id or package name, or default)');
/** The path parameters of the credential and app routes. */
export const credentialParams = z.object({ credential_id: credentialId });
export const appParams = z.object({ app_id: appId });
const appleId = (what: string) => z.string().regex(/^[A-Z0-9]{10}$/, `must be the 10-character ${what} from Apple`);

function privateKeyProblem(pem: string, expected: 'p256' | 'rsa'): string | undefined {
  try {
    const key = createPrivateKey(pem);
    if (expected === 'p256') {
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') return 'must be a P-256 (ES256) private key, as Apple issues in a .p8 file';
    } else if (key.asymmetricKeyType !== 'rsa') {
      return 'must be an RSA private key, as in a Firebase service account';
    }
    return undefined;
  } catch {
    return expected === 'p256' ? 'must be the PEM text of the .p8 file Apple issued' : 'must be a PEM RSA private key';
  }
}

export const apnCredentialBody = z.strictObject({
  provider_key: z.literal('apn'),
  team_id: appleId('team id'),
  key_id: appleId('key id'),
  key: z
    .string()
    .max(10_000)
    .superRefine((pem, ctx) => {
      const problem = privateKeyProblem(pem, 'p256');
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  environments: z
    .array(z.enum(APNS_ENVIRONMENTS, { error: `must be ${APNS_ENVIRONMENTS.join(' or ')}` }))
    .min(1, 'must name at least one environment')
    .max(2)
    .transform((list) => [...new Set(list)])
    .default([...APNS_ENVIRONMENTS]),
});

export const serviceAccount = z.looseObject({
  project_id: z.string({ error: 'is required' }).regex(/^[a-z][a-z0-9-]{4,62}$/, 'must be a Firebase project id'),
  client_email: z.email({ error: 'must be the service account e-mail' }),
  private_key: z
    .string({ error: 'is required' })
    .max(10_000)
    .superRefine((pem, ctx) => {
      const problem = privateKeyProblem(pem, 'rsa');
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
});
export type ServiceAccount = z.output<typeof serviceAccount>;

export const fcmCredentialBody = z.strictObject({
  provider_key: z.literal('firebase-fcm'),
  service_account: serviceAccount,
});

/** Expo needs a credential only for projects with enhanced push security; without one, the app is still routed to its own client. */
export const expoCredentialBody = z.strictObject({
  provider_key: z.literal('expo'),
  access_token: z.string().min(8, 'must be an Expo access token').max(1_000).optional(),
});

export const oneSignalCredentialBody = z.strictObject({
  provider_key: z.literal('onesignal'),
  app_id: z.string().regex(UUID_PATTERN, 'must be the OneSignal app id (a UUID)'),
  api_key: z.string().min(8, 'must be the OneSignal App API key').max(1_000),
});

export const CREDENTIAL_PROVIDERS = ['apn', 'firebase-fcm', 'expo', 'onesignal'] as const;
export type CredentialProvider = (typeof CREDENTIAL_PROVIDERS)[number];

export const credentialBody = z.discriminatedUnion('provider_key', [apnCredentialBody, fcmCredentialBody, expoCredentialBody, oneSignalCredentialBody], {
  error: `must be one of ${CREDENTIAL_PROVIDERS.join(', ')}`,
});
export type CredentialInput = z.output<typeof credentialBody>;

export const appBody = z.strictObject({
  apn: z
    .strictObject({
      credential_id: credentialId,
      /** Defaults to the app id; the `default` app uses each token's app_id. */
      topic: z.string().regex(/^[A-Za-z0-9._-]{1,256}$/, 'must be a bundle id such as com.example.app').optional(),
      environment: z.enum(APP_ENVIRONMENTS, { error: `must be one of ${APP_ENVIRONMENTS.join(', ')}` }).default('production'),
    })
    .optional(),
  'firebase-fcm': z.strictObject({ credential_id: credentialId }).optional(),
  expo: z.strictObject({ credential_id: credentialId }).optional(),
  onesignal: z.strictObject({ credential_id: credentialId }).optional(),
});
export type AppInput = z.output<typeof appBody>;
