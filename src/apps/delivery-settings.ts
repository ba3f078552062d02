/**
 * How clients built from API credentials behave, as config.ts parses it. Here, below config,
 * so that apps/ never imports the configuration module.
 */
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

