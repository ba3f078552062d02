import { ProviderRegistry } from '../../src/providers/provider-registry';
import { ApnsSimulator } from '../simulators/apns-simulator';
import { makeTestCredentials, type TestCredentials } from '../simulators/credentials';
import { FcmSimulator } from '../simulators/fcm-simulator';

/**
 * Both simulators, and a ProviderRegistry built from config exactly as server.ts builds it,
 * pointed at them through APNS_ENDPOINT / FCM_ENDPOINT.
 */
export type SimulatedProviders = {
  apns: ApnsSimulator;
  fcm: FcmSimulator;
  providers: ProviderRegistry;
  creds: TestCredentials;
  close: () => Promise<void>;
};

export async function startSimulatedProviders(options: { apnsMaxInFlight?: number; fcmBatchTimeoutMs?: number } = {}): Promise<SimulatedProviders> {
  const creds = makeTestCredentials();
  const apns = await ApnsSimulator.start({ ...creds.apns });
  const fcm = await FcmSimulator.start({ ...creds.fcm });
  const providers = ProviderRegistry.fromConfig({
    apns: {
      keyFile: creds.apns.keyFile,
      keyId: creds.apns.keyId,
      teamId: creds.apns.teamId,
      topic: creds.apns.topic,
      production: false,
      endpoint: new URL(apns.url),
      maxInFlight: options.apnsMaxInFlight ?? 50,
    },
    fcm: {
      serviceAccountFile: creds.fcm.serviceAccountFile,
      endpoint: new URL(fcm.url),
      concurrentBatches: 2,
      // Above firebase-admin's own 503 retries (about 7 s), as the 60 s default is in production.
      batchTimeoutMs: options.fcmBatchTimeoutMs ?? 20_000,
    },
  });
  return {
    apns,
    fcm,
    providers,
    creds,
    close: async () => {
      await providers.close();
      await apns.close();
      await fcm.close();
    },
  };
}
