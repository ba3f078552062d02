import type { z } from 'zod';
import type { FieldProblem } from '../errors';
import type { ProviderKey } from '../tokens/token-fields';
import type { DeliveryResult, Notification, PushProvider, SendOptions } from './provider';
import type { Reason } from './reason';
import type { DeliveryConfig, InstanceProviderSettings } from './provider-settings';
import type { OverrideRules } from './overrides';

/**
 * Everything the service knows about one provider, in one module per provider (apns-module.ts,
 * fcm-module.ts, expo-module.ts, onesignal-module.ts, webpush-module.ts), listed once in
 * catalogue.ts. The rest of the service (credentials, apps, routing, the client cache, the
 * admin CLI, payload sizes and override rules) goes through this
 * interface, so adding a provider is a new module and a line in the catalogue (and its key in
 * tokens/token-fields.ts, which the registry validates against).
 */
export type ApnsEnvironment = 'production' | 'sandbox';

/** What a client built from a stored credential needs besides its key material. */
export type ClientSetup = { delivery: DeliveryConfig; environment?: ApnsEnvironment };

/** An app's reference to a credential of this provider (a field of PUT /apps). */
export type AppRef = { credential_id: string } & Record<string, unknown>;

/** Sends one notification to a batch of tokens through a group's client(s). */
export type SendFn = (notification: Notification, tokens: readonly string[], options?: SendOptions) => Promise<DeliveryResult[]>;

/** What a module's dispatch gets: the route, the credential's settings, its clients, and the group's tokens. */
export type DispatchContext = {
  route: AppRoute;
  settings: unknown;
  clientFor: (environment?: ApnsEnvironment) => Promise<PushProvider>;
  tokens: readonly { token: string; apns_environment?: 'sandbox' | undefined }[];
};

/** What routing learned for a token whose app names a credential of this provider. */
export type AppRoute = { credentialId: string; topic?: string; environment?: 'production' | 'sandbox' | 'auto' };

/** The admin CLI's flags for this provider: which one selects it, and how a body is built from them. */
export type CliSpec = {
  /** The flag whose presence selects this provider in `credentials put`. */
  selects: string;
  /** Its flags (node:util parseArgs options). */
  options: Record<string, { type: 'string' | 'boolean' }>;
  /** The PUT /credentials body from the flags; `read` reads a file a flag names. */
  body: (values: Record<string, string | boolean | undefined>, read: (flag: string) => string) => Record<string, unknown>;
  /** The flag of `apps put` that names this provider's credential, and any flags of its own. */
  appFlag: string;
  appOptions?: Record<string, { type: 'string' | 'boolean' }>;
  appRef?: (credentialId: string, values: Record<string, string | boolean | undefined>) => AppRef;
};

/** One provider, with its types kept together (defineProvider checks them); the catalogue holds them erased. */
export type TypedProviderModule<Body extends { provider_key: string }, Settings> = {
  key: ProviderKey;
  /** PUT /credentials for this provider: key material is checked offline, so a malformed key is a 400 naming the field. */
  credentialBody: z.ZodType<Body>;
  /** What is sealed (the secret), and the settings stored in the clear (never secret). */
  seal: (body: Body) => { material: string; settings: Settings };
  /** The settings as stored, checked (documents from before `settings` existed keep them in `legacyField`). */
  settings: z.ZodType<Settings>;
  /** Where documents written before `settings` existed kept them (docs/storage.md). */
  legacyField: string;
  /** The fingerprint fields GET /credentials shows beside the common ones. */
  view: (settings: Settings) => Record<string, unknown>;
  viewSchema: z.ZodRawShape;
  /** A client for a stored credential. */
  client: (material: string, settings: Settings, setup: ClientSetup) => PushProvider;
  /** The instance-wide client from the service's settings, if configured; a bad key file adds a problem. */
  instance: (config: InstanceProviderSettings, problems: string[]) => PushProvider | undefined;
  /** The field of PUT /apps for this provider. */
  appRef: z.ZodType<AppRef>;
  /** A reason an app can't link this credential (APNs: an environment the credential lacks). */
  linkProblem?: (ref: AppRef, settings: Settings) => FieldProblem | undefined;
  /** What routing needs from the app's reference; `tokenAppId` for refs that default per token. */
  route?: (ref: AppRef, appId: string, tokenAppId: string | undefined) => AppRoute | { problem: Reason };
  /** How one app's tokens go out through its credential's clients (APNs: environments); by default, one client. */
  dispatch?: (context: DispatchContext) => Promise<SendFn>;
  /** Tokens that must go in separate requests even through one client (Expo: one project per request). */
  requestGroup?: (token: { device?: { app_id?: string } }) => string;
  cli: CliSpec;
  /** Its payload of a notification, measured as it will be sent (override merged), and its limit. */
  payloadSize: (notification: Notification, now: Date) => { bytes: number; max: number };
  /** What `message.providers.<key>.override` may not set (each module's own rules; override-problems.ts applies them). */
  overrideRules: OverrideRules;
};

export type ProviderModule = TypedProviderModule<{ provider_key: string }, unknown>;

/** Checks a module's types together, then erases them for the catalogue. */
export function defineProvider<Body extends { provider_key: string }, Settings>(module: TypedProviderModule<Body, Settings>): ProviderModule {
  return module as unknown as ProviderModule;
}
