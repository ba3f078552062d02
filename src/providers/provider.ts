import type { ProviderKey, WebPushKeys } from '../tokens/token-fields';
import type { ReasonCode } from './reason';

/**
 * One adapter per provider, behind this interface. An adapter sends one notification to a
 * batch of tokens and answers one result per token, as data: a bad token never throws, so the
 * good sends of its batch are never lost.
 */
export type DeliveryOutcome = 'delivered' | 'invalid' | 'retryable' | 'rejected';

export type DeliveryResult = {
  token: string;
  outcome: DeliveryOutcome;
  /** Why (reason.ts): a code such as `apns:Unregistered`, `fcm:UNREGISTERED` or `no_adapter`; absent when delivered. */
  reason?: ReasonCode;
  /** What people need beyond the code (never matched on): an error message, the app concerned. */
  detail?: string;
  /** Set by the mass-invalidation guard: this dead answer was held, with how many of how many said the same. */
  held?: { count: number; total: number };
  /** APNs 410: when Apple last knew the token was valid. A token registered after it stays active. */
  invalidSince?: Date;
  /** A Retry-After the provider sent, when the SDK exposes it. */
  retryAfterMs?: number;
  /** Expo: the ticket id, under which Expo answers a receipt later (src/sender/expo-receipts.ts). */
  receiptId?: string;
  /** The provider's own id for what it accepted (apns-id, FCM message name, Expo ticket id, OneSignal notification id), for the message log. */
  providerId?: string;
  /** APNs `auto`: delivered by the sandbox after production answered BadDeviceToken. */
  environment?: 'sandbox';
};

/** A JSON value, as Courier's `message.data` takes it. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Apple's interruption levels (iOS 15); Expo and OneSignal take the same four. */
export type InterruptionLevel = 'passive' | 'active' | 'time-sensitive' | 'critical';

/**
 * What to send, independent of provider; the payload builders (*-payload.ts, pure) turn it
 * into each provider's request, and docs/providers.md tables every field against every
 * provider's wire field.
 */
export type Notification = {
  title?: string;
  body?: string;
  subtitle?: string;
  /** Custom data, any JSON (Courier's message.data); FCM gets non-string values JSON-encoded. */
  data?: Record<string, JsonValue>;
  badge?: number;
  sound?: string;
  /** Seconds the provider may keep trying to deliver; 0 means now or never. */
  ttlSeconds?: number;
  /** The absolute alternative to ttlSeconds (never both): APNs' apns-expiration, a TTL for the others. */
  expiration?: Date;
  priority?: 'high' | 'normal';
  collapseKey?: string;
  /** A silent (background) push when there is nothing to show; with content, an alert that also wakes the app. */
  contentAvailable?: boolean;
  /** Lets an iOS Notification Service Extension change the notification (set by `image` too). */
  mutableContent?: boolean;
  /** An https URL of an image to show. */
  image?: string;
  category?: string;
  threadId?: string;
  interruptionLevel?: InterruptionLevel;
  /** 0 to 1: how the notification ranks in the iOS summary. */
  relevanceScore?: number;
  android?: { channelId?: string; icon?: string; color?: string; tag?: string; clickAction?: string };
  localization?: { titleLocKey?: string; titleLocArgs?: string[]; locKey?: string; locArgs?: string[] };
  /** Courier's `message.providers.<key>.override`, merged into that provider's request after the mapping (providers/overrides.ts). */
  overrides?: Partial<Record<ProviderKey, Record<string, unknown>>>;
  /** A Live Activity push (APNs only; providers/apns-live-activity.ts): its tokens are Live Activity tokens. */
  liveActivity?: LiveActivityPush;
};

/** A Live Activity event, as `message.live_activity` gives it (docs/providers.md, "Live Activities"). */
export type LiveActivityPush = {
  event: 'start' | 'update' | 'end';
  /** start: the ActivityAttributes type, and its static attributes. */
  attributesType?: string;
  attributes?: Record<string, JsonValue>;
  /** The activity's dynamic content (its ContentState), as the app's Codable struct decodes it. */
  contentState: Record<string, JsonValue>;
  /** When the event happened: iOS keeps only the newest. */
  timestamp: Date;
  staleDate?: Date;
  dismissalDate?: Date;
  relevanceScore?: number;
  alert?: { title?: string; body?: string; sound?: string };
  /** An update or end for users (`to: {user_id}`): the activity whose update tokens it narrows to. */
  activityId?: string;
  /** A start: the broadcast channel (iOS 18) the new activity subscribes to, instead of reporting an update token. */
  inputPushChannel?: string;
};

/** Nothing a person would see: no title, body, subtitle, localized text or image. */
export function isSilent(notification: Notification): boolean {
  const { title, body, subtitle, localization, image } = notification;
  return title === undefined && body === undefined && subtitle === undefined && image === undefined && !localization?.titleLocKey && !localization?.locKey;
}

/** No title, body or subtitle: what Expo and OneSignal, which have no localized keys, can show. */
export function hasNoText(notification: Notification): boolean {
  return notification.title === undefined && notification.body === undefined && notification.subtitle === undefined;
}

/** Seconds the provider may keep it: `ttlSeconds`, or what is left until `expiration` (0 once past). */
export function ttlOf(notification: Notification, now: Date): number | undefined {
  if (notification.ttlSeconds !== undefined) return notification.ttlSeconds;
  if (notification.expiration) return Math.max(0, Math.floor((notification.expiration.getTime() - now.getTime()) / 1000));
  return undefined;
}

/**
 * Per-send choices: the APNs topic of the app the tokens belong to, and the send's id (the same
 * on every retry of that send, for providers that take an idempotency key).
 */
export type SendOptions = {
  topic?: string;
  sendId?: string;
  /**
   * Data for one token on top of the notification's own (the message log's `trackingUrl`, which
   * names one message and one token). With it, an adapter builds each token's payload apart.
   */
  dataFor?: (token: string) => Record<string, string> | undefined;
  /** Web Push: each subscription's keys, stored with its token, which its payload is encrypted with. */
  keysFor?: (token: string) => WebPushKeys | undefined;
};

/** The notification one token gets: its own data (SendOptions.dataFor) merged over the shared data. */
export function notificationFor(notification: Notification, token: string, options: SendOptions | undefined): Notification {
  const extra = options?.dataFor?.(token);
  return extra ? { ...notification, data: { ...notification.data, ...extra } } : notification;
}

export interface PushProvider {
  readonly key: ProviderKey;
  send(notification: Notification, tokens: readonly string[], options?: SendOptions): Promise<DeliveryResult[]>;
  /** Is the provider able to send (credentials loaded, client open)? For /readyz. */
  ready(): boolean;
  close(): Promise<void>;
}

/** What every result of a provider that has no adapter (one not configured) looks like. */
export const NO_ADAPTER: ReasonCode = 'no_adapter';
