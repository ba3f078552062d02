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

/** What ProviderRegistry.fromConfig reads. */
export type InstanceProviderSettings = { apns: ApnsConfig | undefined; fcm: FcmConfig | undefined; onesignal?: OneSignalConfig | undefined; expo?: ExpoConfig | undefined };

/**
 * Where provider traffic goes, for every credential (instance-wide or from the API): unset
 * means Apple's and Google's own hosts. A simulator's origin here redirects them all.
 */
export type ProviderEndpoints = { apns: URL | undefined; apnsSandbox: URL | undefined; fcm: URL | undefined; expo?: URL | undefined; onesignal?: URL | undefined };

/** How provider clients built from API credentials behave: the same limits as the instance-wide ones. */
export type DeliveryConfig = {
  endpoints: ProviderEndpoints;
  apnsMaxInFlight: number;
  fcmConcurrentBatches: number;
  fcmBatchTimeoutMs: number;
  /** A cached client unused for this long is closed. */
  clientIdleMs: number;
  /** At most this many live clients; the least recently used goes first. */
  maxClients: number;
};

