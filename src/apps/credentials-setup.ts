import { existsSync, readFileSync } from 'node:fs';
import { createFileOnce } from '../create-once';
import path from 'node:path';
import { SecretBox } from './secret-box';

/**
 * The key ring for credentials at rest: CREDENTIALS_KEYS; outside production without it, a key
 * generated on first use and kept with the embedded database's data (readable by its owner
 * only); in production without it, none, and the credential routes answer 503 naming the
 * variable, so nothing is ever stored in plaintext.
 */
export function credentialsBoxFromConfig(config: { nodeEnv: string; embeddedDbDir: string; credentialsBox: SecretBox | undefined }): SecretBox | undefined {
  if (config.credentialsBox) return config.credentialsBox;
  if (config.nodeEnv === 'production') return undefined;
  const file = path.join(config.embeddedDbDir, 'credentials-keys');
  if (!existsSync(file)) createFileOnce(file, () => `${SecretBox.newKeyEntry('dev1')}\n`);
  const parsed = SecretBox.parse(readFileSync(file, 'utf8').trim());
  if ('problems' in parsed) throw new Error(`${file} is not a valid CREDENTIALS_KEYS value: ${parsed.problems.join('; ')}`);
  return parsed.box;
}
