import type { EndpointPolicy } from '../tokens/webpush-endpoint';

/**
 * The instance-wide providers' settings, as config.ts parses them from the environment. They
 * live here, below config, so that providers/ never imports the configuration module.
 */
export type ApnsConfig = {
  keyFile: string;
  keyId: string;
  teamId: string;
  topic: string;
  production: boolean;
  endpoint: URL | undefined;
  maxInFlight: number;
};

export type FcmConfig = { serviceAccountFile: string; endpoint: URL | undefined; concurrentBatches: number; batchTimeoutMs: number };

export type OneSignalConfig = { appId: string; apiKey: string; endpoint?: URL };
export type ExpoConfig = { accessToken?: string; baseUrl?: URL };

/** A VAPID key pair (base64url: the 65-byte public point, the 32-byte private scalar) and its subject (mailto: or https:). */
export type VapidKeys = { publicKey: string; privateKey: string; subject: string };

/** How Web Push requests go out, for every credential: which endpoints, and how many connections per push service. */
export type WebPushDelivery = { endpoints: EndpointPolicy; connectionsPerHost: number; timeoutMs: number };

/** What ProviderRegistry.fromConfig reads. */
export type InstanceProviderSettings = {
  apns: ApnsConfig | undefined;
  fcm: FcmConfig | undefined;
  onesignal?: OneSignalConfig | undefined;
  expo?: ExpoConfig | undefined;
  /** The instance-wide VAPID keys (WEBPUSH_VAPID_*); Web Push clients take `delivery.webpush` with them. */
  webpushVapid?: VapidKeys | undefined;
  delivery?: { webpush: WebPushDelivery };
};

/**
 * Where provider traffic goes, for every credential (instance-wide or from the API): unset
 * means Apple's and Google's own hosts. A simulator's origin here redirects them all.
 * apnsChannels / apnsChannelsSandbox: Apple's broadcast channel host (APNS_CHANNELS_ENDPOINT).
 */
export type ProviderEndpoints = { apns: URL | undefined; apnsSandbox: URL | undefined; apnsChannels?: URL | undefined; apnsChannelsSandbox?: URL | undefined; fcm: URL | undefined; expo?: URL | undefined; onesignal?: URL | undefined };

/** How provider clients built from API credentials behave: the same limits as the instance-wide ones. */
export type DeliveryConfig = {
  endpoints: ProviderEndpoints;
  apnsMaxInFlight: number;
  fcmConcurrentBatches: number;
  fcmBatchTimeoutMs: number;
  webpush: WebPushDelivery;
  /** A cached client unused for this long is closed. */
  clientIdleMs: number;
  /** At most this many live clients; the least recently used goes first. */
  maxClients: number;
};

