import { fcmOverrideRules } from './fcm-overrides';
import { buildFcmMessage, fcmPayloadBytes, FCM_MAX_PAYLOAD_BYTES } from './fcm-payload';
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FcmProvider, type FcmServiceAccount } from './fcm-provider';
import { CREDENTIAL_ID_PATTERN, privateKeyProblem } from './key-checks';
import { defineProvider } from './provider-module';

/** FCM: a Firebase service account per project; the whole JSON is the sealed secret. */
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

const body = z.strictObject({ provider_key: z.literal('firebase-fcm'), service_account: serviceAccount });
const settings = z.object({ project_id: z.string(), client_email: z.string() });
type Settings = z.output<typeof settings>;

export const fcmModule = defineProvider({
  key: 'firebase-fcm',
  credentialBody: body,
  seal: (input) => ({
    material: JSON.stringify(input.service_account),
    settings: { project_id: input.service_account.project_id, client_email: input.service_account.client_email },
  }),
  settings,
  legacyField: 'fcm',
  view: (s: Settings) => ({ project_id: s.project_id, client_email: s.client_email }),
  viewSchema: { project_id: z.string().optional(), client_email: z.string().optional() },
  client: (material, _s: Settings, { delivery }) =>
    new FcmProvider({
      serviceAccount: JSON.parse(material) as FcmServiceAccount,
      concurrentBatches: delivery.fcmConcurrentBatches,
      batchTimeoutMs: delivery.fcmBatchTimeoutMs,
      ...(delivery.endpoints.fcm ? { endpoint: delivery.endpoints.fcm } : {}),
    }),
  instance: (config, problems) => {
    if (!config.fcm) return undefined;
    const account = readServiceAccountFile(config.fcm.serviceAccountFile, problems);
    if (!account) return undefined;
    const { endpoint, concurrentBatches, batchTimeoutMs } = config.fcm;
    return new FcmProvider({ serviceAccount: account, concurrentBatches, batchTimeoutMs, ...(endpoint ? { endpoint } : {}) });
  },
  appRef: z.strictObject({ credential_id: z.string().regex(CREDENTIAL_ID_PATTERN, 'must be 1-64 of A-Z a-z 0-9 . _ -') }),
  payloadSize: (notification, now) => ({ bytes: fcmPayloadBytes(buildFcmMessage(notification, 'token', now)), max: FCM_MAX_PAYLOAD_BYTES }),
  overrideRules: fcmOverrideRules,
  cli: {
    selects: 'service-account-file',
    options: { 'service-account-file': { type: 'string' } },
    body: (_values, read) => {
      let account: unknown;
      try {
        account = JSON.parse(read('service-account-file'));
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        throw new Error('--service-account-file is not valid JSON');
      }
      return { provider_key: 'firebase-fcm', service_account: account };
    },
    appFlag: 'fcm-credential',
  },
});

/** FCM_SERVICE_ACCOUNT_FILE, read and checked at start-up; JSON.parse's own message would quote the key, so it says less. */
function readServiceAccountFile(file: string, problems: string[]): FcmServiceAccount | undefined {
  try {
    let account: Partial<FcmServiceAccount>;
    try {
      account = JSON.parse(readFileSync(file, 'utf8')) as Partial<FcmServiceAccount>;
    } catch (error) {
      if (error instanceof SyntaxError) throw new Error('it is not valid JSON');
      throw error;
    }
    const missing = (['project_id', 'client_email', 'private_key'] as const).filter((field) => typeof account[field] !== 'string' || !account[field]);
    if (missing.length > 0) throw new Error(`missing ${missing.join(', ')}`);
    createPrivateKey(account.private_key!);
    return account as FcmServiceAccount;
  } catch (error) {
    problems.push(`FCM_SERVICE_ACCOUNT_FILE ${file} is not a usable service account JSON: ${(error as Error).message}`);
    return undefined;
  }
}
