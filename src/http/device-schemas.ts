import { z } from 'zod';
import { DEVICE_PLATFORMS } from '../tokens/device-registry';
import { displayText, MAX_FIELD_LENGTH, tokenValue, userId, webPushKeysField } from '../tokens/token-fields';
import { pageLimit, queryWholeNumber } from './token-schemas';
import { liveActivityField } from '../tokens/live-activity';

/** Request shapes of the Flameup-compatible Devices API. */
const platform = z.enum(DEVICE_PLATFORMS, { error: `must be one of ${DEVICE_PLATFORMS.join(', ')}` });
const text = displayText(MAX_FIELD_LENGTH);
/** Offsets beyond this are a sign of a scan, not of a person's devices. */
export const MAX_DEVICE_OFFSET = 10_000;

export const personParams = z.object({ person_id: userId });
export const deviceParams = z.object({ person_id: userId, token: tokenValue });

export const registerDeviceBody = z.strictObject({
  token: tokenValue,
  platform,
  device_name: text.optional(),
  device_model: text.optional(),
  os_version: text.optional(),
  app_version: text.optional(),
  keys: webPushKeysField.optional().describe("A Web Push subscription's keys (platform web): the token is then its endpoint"),
  live_activity: liveActivityField.optional().describe("A Live Activity's push-to-start or update token (platform ios): the device is then an APNs token"),
}).superRefine((body, ctx) => {
  if (body.keys && body.platform !== 'web') ctx.addIssue({ code: 'custom', path: ['keys'], message: 'is only for platform web (a Web Push subscription)' });
  if (body.live_activity && body.platform !== 'ios') ctx.addIssue({ code: 'custom', path: ['live_activity'], message: 'is only for platform ios (ActivityKit): Android has no Live Activities' });
});

export const listDevicesQuery = z.strictObject({
  platform: platform.optional(),
  is_active: z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .transform((value) => value === 'true')
    .optional(),
  limit: pageLimit,
  offset: queryWholeNumber({ min: 0, max: MAX_DEVICE_OFFSET, default: 0 }),
});
