import { developmentSigningKeys, SigningKeyRing } from './signing-keys';
import { UserTokens } from './user-tokens';
import { readWorkspaceKeysFile } from './workspace-keys';

/**
 * The user-token service as configured: the signing keys from USER_TOKEN_SIGNING_KEYS_FILE;
 * outside production without it, a generated key kept with the embedded database's data; in
 * production without it, none, so /auth/issue-token answers 503 naming the variable while the
 * rest of the service (workspace-signed tokens included) works. A bad key file stops start-up.
 */
/** The settings config.ts parses for user tokens (USER_TOKEN_*, WORKSPACE_JWT_KEYS_FILE). */
export type UserTokenSettings = { signingKeysFile: string | undefined; maxTtlSeconds: number; workspaceKeysFile: string | undefined };

export async function userTokensFromConfig(config: { nodeEnv: string; embeddedDbDir: string; userTokens: UserTokenSettings }): Promise<UserTokens> {
  const { signingKeysFile, workspaceKeysFile, maxTtlSeconds } = config.userTokens;
  const ring = signingKeysFile
    ? await SigningKeyRing.readFile(signingKeysFile)
    : config.nodeEnv === 'production'
      ? undefined
      : await developmentSigningKeys(config.embeddedDbDir);
  const workspaceKeys = workspaceKeysFile ? await readWorkspaceKeysFile(workspaceKeysFile, ring?.keys.map((key) => key.kid) ?? []) : new Map();
  return new UserTokens({
    ring,
    missingRingReason: 'USER_TOKEN_SIGNING_KEYS_FILE is not set, so this instance can not issue user tokens (see .env.example)',
    workspaceKeys,
    maxTtlSeconds,
  });
}
