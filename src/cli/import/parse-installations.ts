import { compact, type Mapped } from './import-row';

/**
 * A Parse Server `_Installation` (a JSON or NDJSON export of the class) → a token. Parse keeps
 * one installation per app install: `deviceToken` (APNs hex, or the FCM/GCM registration
 * token), `deviceType` (ios, tvos, osx, android…), `pushType` (gcm, fcm; absent on Apple
 * devices), `installationId`, `appIdentifier`, `appVersion`, `timeZone`, `localeIdentifier`,
 * `badge`, `channels`, and `user` (a pointer `{__type: "Pointer", className: "_User",
 * objectId}`, or an id).
 */
export type ParseOptions = { anonymousPrefix: string; skipAnonymous: boolean };

const APPLE = new Set(['ios', 'tvos', 'osx', 'watchos', 'visionos']);
const ANDROID_PUSH = new Set(['gcm', 'fcm', '']);

export function mapParseInstallation(doc: Record<string, unknown>, options: ParseOptions): Mapped {
  const deviceType = typeof doc.deviceType === 'string' ? doc.deviceType.toLowerCase() : '';
  const pushType = typeof doc.pushType === 'string' ? doc.pushType.toLowerCase() : '';
  const apple = APPLE.has(deviceType);
  const android = deviceType === 'android' && ANDROID_PUSH.has(pushType);
  if (!apple && !android) return { kind: 'skip', reason: deviceType === 'android' ? `pushType ${pushType}` : `deviceType ${deviceType || '(none)'}` };
  const token = typeof doc.deviceToken === 'string' ? doc.deviceToken.trim() : '';
  if (token === '') return { kind: 'skip', reason: 'no_token' };
  const user = userOf(doc.user);
  if (user === undefined && options.skipAnonymous) return { kind: 'skip', reason: 'anonymous' };
  const installation = typeof doc.installationId === 'string' ? doc.installationId : typeof doc.objectId === 'string' ? doc.objectId : '';
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  return {
    kind: 'token',
    user_id: user ?? `${options.anonymousPrefix}${installation}`,
    // Apple tokens are hex; Parse stores them as given, sometimes upper-case.
    token: apple ? token.toLowerCase() : token,
    body: {
      provider_key: apple ? 'apn' : 'firebase-fcm',
      device: compact({ app_id: text(doc.appIdentifier), device_id: text(doc.installationId), platform: apple ? (deviceType === 'osx' ? 'macos' : deviceType) : 'android', app_version: text(doc.appVersion) }),
      properties: {
        parse: compact({
          installation_id: text(doc.installationId),
          object_id: text(doc.objectId),
          time_zone: text(doc.timeZone),
          locale: text(doc.localeIdentifier),
          badge: typeof doc.badge === 'number' ? doc.badge : undefined,
          channels: Array.isArray(doc.channels) ? doc.channels.filter((c) => typeof c === 'string') : undefined,
          push_type: pushType || undefined,
        }),
      },
    },
  };
}

/** `user` as a _User pointer, an object with an objectId, or a plain id. */
function userOf(user: unknown): string | undefined {
  if (typeof user === 'string' && user !== '') return user;
  if (user && typeof user === 'object' && typeof (user as { objectId?: unknown }).objectId === 'string') return (user as { objectId: string }).objectId;
  return undefined;
}
