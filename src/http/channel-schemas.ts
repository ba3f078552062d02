import { z } from 'zod';
import { appParams } from '../apps/credential-schemas';

/** Apple's channel id: base64, as APNs answers it in `apns-channel-id` (URL-encode its `/` in a path). */
export const channelId = z.string().regex(/^[A-Za-z0-9+/=_-]{1,256}$/, "must be a channel id as Apple gave it (base64, at most 256 characters)");

export const channelParams = z.strictObject({ channel_id: channelId });

/** POST /live-activities/channels. */
export const channelBody = z.strictObject({
  app_id: appParams.shape.app_id,
  storage: z.enum(['none', 'most_recent'], { error: 'must be none or most_recent (what APNs keeps for a device that is offline)' }).default('none'),
  environment: z.enum(['production', 'sandbox'], { error: 'must be production or sandbox' }).optional(),
});
