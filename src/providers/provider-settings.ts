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
