import { createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * Throwaway credentials for the simulators, made fresh per run: an APNs .p8 signing key and a
 * Firebase service-account JSON, written to a temp folder so the service reads them from files
 * exactly as it does in production.
 */
export type TestCredentials = {
  dir: string;
  apns: { keyFile: string; keyId: string; teamId: string; topic: string; publicKey: KeyObject };
  fcm: { serviceAccountFile: string; projectId: string; clientEmail: string; publicKey: KeyObject };
};

export function makeTestCredentials(dir = mkdtempSync(path.join(os.tmpdir(), 'push-sim-'))): TestCredentials {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const keyFile = path.join(dir, 'AuthKey_SIMKEY0001.p8');
  writeFileSync(keyFile, ec.privateKey.export({ type: 'pkcs8', format: 'pem' }));

  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const projectId = 'push-sim-project';
  const clientEmail = `firebase-adminsdk@${projectId}.iam.gserviceaccount.com`;
  const serviceAccountFile = path.join(dir, 'service-account.json');
  writeFileSync(
    serviceAccountFile,
    JSON.stringify({
      type: 'service_account',
      project_id: projectId,
      private_key_id: 'sim-key-1',
      private_key: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }),
      client_email: clientEmail,
      token_uri: 'https://oauth2.googleapis.com/token',
    }),
  );
  return {
    dir,
    apns: { keyFile, keyId: 'SIMKEY0001', teamId: 'SIMTEAM001', topic: 'com.example.pushsim', publicKey: createPublicKey(ec.privateKey) },
    fcm: { serviceAccountFile, projectId, clientEmail, publicKey: rsa.publicKey },
  };
}

/** Another Apple team's .p8 key, for several apps on one instance: the PEM (to PUT through the API) and what the simulator needs. */
export function makeApnsKey(keyId: string, teamId: string, topics: string[]) {
  const ec = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return { keyId, teamId, topics, pem: ec.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, publicKey: createPublicKey(ec.privateKey) };
}

/** Another Firebase project's service account: the JSON (to PUT through the API) and what the simulator needs. */
export function makeServiceAccount(projectId: string) {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const clientEmail = `firebase-adminsdk@${projectId}.iam.gserviceaccount.com`;
  return {
    projectId,
    clientEmail,
    publicKey: rsa.publicKey,
    json: {
      type: 'service_account',
      project_id: projectId,
      private_key_id: `${projectId}-key`,
      private_key: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
      client_email: clientEmail,
      token_uri: 'https://oauth2.googleapis.com/token',
    },
  };
}
