import { Expo, type ExpoPushMessage } from 'expo-server-sdk';
import { chunk, mapWithConcurrency } from '../concurrency';
import { classifyRequestFailure, classifyTickets, EXPO_MALFORMED_TOKEN, type ExpoReceipt, type ExpoRequestFailure, type ExpoTicket } from './expo-classification';
import { expoAgent, oneCallDispatcher, type RateLimitNote } from './expo-dispatcher';
import { buildExpoMessage, EXPO_MAX_PAYLOAD_BYTES, EXPO_MAX_RECEIPT_IDS, EXPO_MAX_RECIPIENTS, expoPayloadBytes } from './expo-payload';
import { notificationFor, type DeliveryResult, type Notification, type PushProvider, type SendOptions } from './provider';

/**
 * Expo through the official expo-server-sdk (5.0.0, the last CommonJS release). Each request
 * carries ≤ 100 recipients of one message; a request that mixes Expo projects is answered
 * PUSH_TOO_MANY_EXPERIENCE_IDS with the tokens of each project, and is sent again split that
 * way. Tickets are matched to tokens by index; their receipt ids go back to the sender, which
 * stores them for the receipt checker (src/sender/expo-receipts.ts). The SDK's own 429 retry
 * is turned off (expo-dispatcher.ts): the sender's back-off is the only one.
 */
export type ExpoOptions = {
  /** For projects with enhanced push security; sent as a bearer token. */
  accessToken?: string;
  /** Where Expo's push API is (EXPO_BASE_URL); https://exp.host by default. */
  baseUrl?: URL;
  concurrentRequests?: number;
  requestTimeoutMs?: number;
};

export interface ExpoReceiptSource {
  /** Receipts Expo has for these ids (ids with none yet are absent); throws when the request fails. */
  receipts(ids: readonly string[]): Promise<Record<string, ExpoReceipt>>;
}

const DEFAULT_CONCURRENT_REQUESTS = 6; // the SDK's own default
const DEFAULT_TIMEOUT_MS = 30_000;

export class ExpoProvider implements PushProvider, ExpoReceiptSource {
  readonly key = 'expo' as const;
  private readonly agent;
  private readonly concurrency: number;
  private closed = false;

  constructor(private readonly options: ExpoOptions = {}) {
    this.concurrency = options.concurrentRequests ?? DEFAULT_CONCURRENT_REQUESTS;
    this.agent = expoAgent(options.requestTimeoutMs ?? DEFAULT_TIMEOUT_MS, this.concurrency);
  }

  ready(): boolean {
    return !this.closed;
  }

  async send(notification: Notification, tokens: readonly string[], options?: SendOptions): Promise<DeliveryResult[]> {
    const malformed: DeliveryResult[] = [];
    const wellFormed: string[] = [];
    // Stored before registration checked the format: never sent, and dead (they can't ever be delivered).
    for (const token of tokens) {
      if (Expo.isExpoPushToken(token)) wellFormed.push(token);
      else malformed.push({ token, outcome: 'invalid', reason: EXPO_MALFORMED_TOKEN });
    }
    // One message for every recipient, or, with per-token data, one message per token (still 100 a request).
    const messageFor = (token: string) => buildExpoMessage(notificationFor(notification, token, options));
    const shared = options?.dataFor ? undefined : messageFor('');
    const tooBig = new Map<string, DeliveryResult>();
    for (const token of wellFormed) {
      const bytes = expoPayloadBytes(shared ?? messageFor(token));
      if (bytes > EXPO_MAX_PAYLOAD_BYTES) tooBig.set(token, { token, outcome: 'rejected', reason: 'expo:MessageTooBig', detail: `the payload is ${bytes} bytes; Expo takes at most ${EXPO_MAX_PAYLOAD_BYTES}` });
      if (shared) break;
    }
    if (shared && tooBig.size > 0) {
      const [first] = tooBig.values();
      return [...malformed, ...wellFormed.map((token): DeliveryResult => ({ ...first!, token }))];
    }
    const sendable = wellFormed.filter((token) => !tooBig.has(token));
    const build = (recipients: string[]): ExpoPushMessage[] => (shared ? [{ ...shared, to: recipients }] : recipients.map((token) => ({ ...messageFor(token), to: token })));
    const answered = await mapWithConcurrency(chunk(sendable, EXPO_MAX_RECIPIENTS), this.concurrency, (recipients) => this.sendChunk(build, recipients, true));
    return [...malformed, ...tooBig.values(), ...answered.flat()];
  }

  private async sendChunk(build: (tokens: string[]) => ExpoPushMessage[], tokens: string[], maySplit: boolean): Promise<DeliveryResult[]> {
    if (this.closed) return tokens.map((token) => ({ token, outcome: 'retryable', reason: 'expo:closed' }));
    const note: RateLimitNote = { limited: false };
    try {
      const tickets = await this.client(note).sendPushNotificationsAsync(build(tokens));
      return classifyTickets(tokens, tickets as ExpoTicket[]);
    } catch (error) {
      const thrown = error as SdkError;
      if (maySplit && thrown.code === 'PUSH_TOO_MANY_EXPERIENCE_IDS') {
        const groups = splitByProject(tokens, thrown.details);
        if (groups.length > 1) return (await Promise.all(groups.map((group) => this.sendChunk(build, group, false)))).flat();
      }
      return classifyRequestFailure(tokens, describeFailure(thrown, note));
    }
  }

  async receipts(ids: readonly string[]): Promise<Record<string, ExpoReceipt>> {
    const found: Record<string, ExpoReceipt> = {};
    for (const batch of chunk(ids, EXPO_MAX_RECEIPT_IDS)) {
      const note: RateLimitNote = { limited: false };
      try {
        Object.assign(found, await this.client(note).getPushNotificationReceiptsAsync(batch));
      } catch (error) {
        const failure = describeFailure(error as SdkError, note);
        const what = failure.kind === 'http' ? `HTTP ${failure.status}${failure.code ? ` ${failure.code}` : ''}` : failure.kind === 'network' ? failure.code : 'a malformed answer';
        throw new Error(`Expo getReceipts failed: ${what}`);
      }
    }
    return found;
  }

  /** A client per call, so each call's 429 note is its own; the connection pool is shared. */
  private client(note: RateLimitNote): Expo {
    return new Expo({
      ...(this.options.accessToken ? { accessToken: this.options.accessToken } : {}),
      httpAgent: oneCallDispatcher(this.agent, this.options.baseUrl, note),
      maxConcurrentRequests: 1,
      retryMinTimeout: 0,
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.agent.close();
  }
}

type SdkError = Error & { statusCode?: number; code?: string; details?: unknown; data?: unknown; cause?: { code?: string } };

/** What the SDK threw, reduced to what decides the outcome (it throws for every failed request). */
function describeFailure(error: SdkError, note: RateLimitNote): ExpoRequestFailure {
  if (note.limited) return { kind: 'http', status: 429, code: error.code ?? 'TOO_MANY_REQUESTS', ...(note.retryAfterMs !== undefined ? { retryAfterMs: note.retryAfterMs } : {}) };
  if (typeof error.statusCode === 'number') return { kind: 'http', status: error.statusCode, ...(typeof error.code === 'string' ? { code: error.code } : {}) };
  // "Expected Expo to respond with N tickets but got M": the SDK attaches what it got.
  if (Array.isArray(error.data) || (error.data && typeof error.data === 'object')) return { kind: 'ticket count', got: Array.isArray(error.data) ? error.data.length : 0 };
  return { kind: 'network', code: error.cause?.code ?? error.name ?? 'network error' };
}

/** PUSH_TOO_MANY_EXPERIENCE_IDS details: `{"@owner/project": [tokens…], …}`; tokens it doesn't name go on their own. */
export function splitByProject(tokens: readonly string[], details: unknown): string[][] {
  if (!details || typeof details !== 'object') return [[...tokens]];
  const ours = new Set(tokens);
  const placed = new Set<string>();
  const groups: string[][] = [];
  for (const named of Object.values(details as Record<string, unknown>)) {
    if (!Array.isArray(named)) continue;
    const group = named.filter((token): token is string => typeof token === 'string' && ours.has(token) && !placed.has(token));
    for (const token of group) placed.add(token);
    if (group.length > 0) groups.push(group);
  }
  const rest = tokens.filter((token) => !placed.has(token));
  if (rest.length > 0) groups.push(rest);
  return groups;
}
