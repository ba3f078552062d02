import { z } from 'zod';
import { appId } from '../apps/credential-schemas';

export const publicKeyQuery = z.strictObject({ app_id: appId.optional().describe("The app whose key to use (a token's device.app_id); the default app's, or the instance's, otherwise") });

export const publicKeyAnswer = z.object({
  public_key: z.string().describe('The VAPID public key (base64url): pushManager.subscribe({applicationServerKey})'),
  app_id: z.string().nullable().describe('The app whose credential it is; null for the instance-wide key'),
  credential_id: z.string().nullable(),
});
