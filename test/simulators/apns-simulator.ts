import { randomBytes, randomUUID, verify, type KeyObject } from 'node:crypto';
import type http2 from 'node:http2';
import { AnswerBook, Counters, decodeJwt, dropConnection, handleStaging, listenSimulator, readBody, type SimServer } from './sim-server';

/**
 * An APNs provider API simulator: HTTP/2 over TLS, speaking Apple's protocol. It checks the
 * ES256 provider JWT (kid and team id), apns-topic, apns-push-type and the /3/device/<token>
 * path, then answers with real APNs statuses, an apns-id header and {"reason"} bodies.
 */
export type ApnsAnswer =
  | { status: 200 }
  | { status: number; reason: string; timestamp?: number }
  | { drop: true }
  | { delayMs: number; then: ApnsAnswer };

/** A signing key Apple knows: its key id, its team, and the topics (bundle ids) of the team's apps. */
export type ApnsSimKey = { keyId: string; teamId: string; publicKey: KeyObject; topics: string[] };

export type ApnsSimulatorOptions = {
  keyId: string;
  teamId: string;
  topic: string;
  /** The public half of the .p8 key the service signs with. */
  publicKey: KeyObject;
  /** More keys, teams and topics, for several apps on one instance. */
  keys?: ApnsSimKey[];
  port?: number;
  /** Apple's servers commonly advertise 1,000. */
  maxConcurrentStreams?: number;
  /** Channels shared with another simulator: Apple's channel host and its push host see the same channels. */
  channels?: Map<string, SimChannel>;
};

const LIVE_ACTIVITY_SUFFIX = '.push-type.liveactivity';

/**
 * What Apple requires of a Live Activity push's `aps` (ActivityKit push notifications): a
 * timestamp in seconds, an event, a content-state; a start also its attributes-type and
 * attributes; stale and dismissal dates, when present, in seconds too.
 */
export function liveActivityProblem(payload: unknown): string | undefined {
  const aps = (payload as { aps?: Record<string, unknown> } | null)?.aps;
  if (!aps || typeof aps !== 'object') return 'no aps';
  const seconds = (value: unknown) => Number.isInteger(value) && (value as number) > 1_000_000_000 && (value as number) < 100_000_000_000;
  if (!seconds(aps.timestamp)) return 'aps.timestamp must be a time in seconds';
  if (!['start', 'update', 'end'].includes(aps.event as string)) return 'aps.event must be start, update or end';
  if (aps['content-state'] === null || typeof aps['content-state'] !== 'object') return 'aps.content-state must be an object';
  if (aps.event === 'start' && (typeof aps['attributes-type'] !== 'string' || aps.attributes === null || typeof aps.attributes !== 'object')) return 'a start needs aps.attributes-type and aps.attributes';
  for (const field of ['stale-date', 'dismissal-date']) if (aps[field] !== undefined && !seconds(aps[field])) return `aps.${field} must be a time in seconds`;
  return undefined;
}

const PUSH_TYPES = new Set(['alert', 'background', 'location', 'voip', 'complication', 'fileprovider', 'mdm', 'liveactivity', 'pushtotalk']);
const DEVICE_PATH = /^\/3\/device\/([0-9a-fA-F]+)$/;
/** Apple refuses provider tokens older than an hour (ExpiredProviderToken). */
const JWT_MAX_AGE_S = 3600;

const CHANNELS_PATH = /^\/1\/apps\/([^/]+)\/(channels|all-channels)$/;
const BROADCAST_PATH = /^\/4\/broadcasts\/apps\/([^/]+)$/;

/** A broadcast channel Apple holds for a bundle id, and the publishes it took. */
export type SimChannel = { bundleId: string; storagePolicy: 0 | 1 };
export type BroadcastRecord = { channelId: string; bundleId: string; headers: http2.IncomingHttpHeaders; payload: unknown; keyId: string };

/** `at`: when the simulator took the request (epoch ms), for rate measurements from its own clock. */
export type ApnsRequestRecord = { token: string; headers: http2.IncomingHttpHeaders; payload: unknown; keyId: string; teamId: string; topic: string; at: number };

export class ApnsSimulator {
  readonly answers = new AnswerBook<ApnsAnswer>({ status: 200 });
  readonly counters = new Counters();
  readonly received: ApnsRequestRecord[] = [];
  /** Live Activity pushes refused for their payload, and why. */
  readonly refused: { token: string; problem: string }[] = [];
  /** Broadcast channels by id (Apple's channel management API), and the broadcasts published to them. */
  readonly channels: Map<string, SimChannel>;
  readonly broadcasts: BroadcastRecord[] = [];
  /** Channel management requests, as method and path, in order. */
  readonly channelRequests: { method: string; path: string; keyId: string }[] = [];
  private server!: SimServer;

  private readonly keys: ApnsSimKey[];

  private constructor(private readonly options: ApnsSimulatorOptions) {
    this.channels = options.channels ?? new Map();
    this.keys = [{ keyId: options.keyId, teamId: options.teamId, publicKey: options.publicKey, topics: [options.topic] }, ...(options.keys ?? [])];
  }

  /** Apple learns another key (a new team, or a rotated key). */
  learnKey(key: ApnsSimKey): void {
    this.keys.push(key);
  }

  static async start(options: ApnsSimulatorOptions): Promise<ApnsSimulator> {
    const simulator = new ApnsSimulator(options);
    // HTTP/1.1 is there only for the control endpoints (/__stage, /__stats); APNs itself is HTTP/2 only.
    simulator.server = await listenSimulator((req, res) => simulator.handle(req, res), { port: options.port, maxConcurrentStreams: options.maxConcurrentStreams ?? 1000, counters: simulator.counters });
    return simulator;
  }

  get url(): string {
    return this.server.url;
  }

  stage(token: string, answer: ApnsAnswer | ApnsAnswer[]): void {
    this.answers.set(token, answer);
  }

  attempts(token: string): number {
    return this.counters.attempts(token);
  }

  reset(): void {
    this.answers.clear();
    this.counters.reset();
    this.received.length = 0;
    this.refused.length = 0;
    this.broadcasts.length = 0;
    this.channelRequests.length = 0;
  }

  close(): Promise<void> {
    return this.server.close();
  }

  private async handle(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    if (await handleStaging(req, res, this.answers, this.counters)) return;
    // GET /__last?token=<hex>: the last payload that token received (for a person with curl: its trackingUrl, say).
    if (req.method === 'GET' && req.url.startsWith('/__last?')) {
      const wanted = new URL(req.url, 'https://sim').searchParams.get('token');
      const last = this.received.filter((r) => r.token === wanted).at(-1);
      res.writeHead(last ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(last ? { headers: last.headers, payload: last.payload } : { error: 'nothing received for that token' }));
      return;
    }
    if (req.httpVersion !== '2.0') {
      res.writeHead(505).end();
      return;
    }
    if (CHANNELS_PATH.test(req.url) || BROADCAST_PATH.test(req.url)) return this.handleChannels(req, res);
    const token = DEVICE_PATH.exec(req.url)?.[1];
    const done = this.counters.begin(token);
    res.on('close', done);
    const reply = (status: number, reason?: string, extra: Record<string, unknown> = {}) => {
      const apnsId = (req.headers['apns-id'] as string | undefined) ?? randomUUID();
      res.writeHead(status, { 'apns-id': apnsId, ...(reason ? { 'content-type': 'application/json' } : {}) });
      if (reason) res.end(JSON.stringify({ reason, ...extra }));
      else res.end();
    };
    const body = await readBody(req);
    if (req.method !== 'POST') return reply(405, 'MethodNotAllowed');
    if (!token) return reply(404, 'BadPath');
    const auth = this.checkProviderToken(req.headers.authorization);
    if (typeof auth === 'string') return reply(403, auth);
    const topic = req.headers['apns-topic'];
    if (typeof topic !== 'string' || !topic) return reply(400, 'MissingTopic');
    const pushType = req.headers['apns-push-type'];
    if (typeof pushType !== 'string' || !PUSH_TYPES.has(pushType)) return reply(400, 'InvalidPushType');
    // A Live Activity's topic is its app's bundle id with .push-type.liveactivity; Apple refuses either without the other.
    const liveActivity = pushType === 'liveactivity';
    if (liveActivity !== topic.endsWith(LIVE_ACTIVITY_SUFFIX)) return reply(400, 'TopicDisallowed');
    // A key may push only to its own team's apps.
    if (!auth.topics.includes(liveActivity ? topic.slice(0, -LIVE_ACTIVITY_SUFFIX.length) : topic)) return reply(400, 'TopicDisallowed');
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return reply(400, 'PayloadEmpty');
    }
    if (liveActivity) {
      const problem = liveActivityProblem(payload);
      if (problem) {
        this.refused.push({ token, problem });
        return reply(400, 'BadLiveActivityPayload');
      }
    }
    this.received.push({ token, headers: req.headers, payload, keyId: auth.keyId, teamId: auth.teamId, topic, at: Date.now() });

    let answer = this.answers.next(token);
    while ('delayMs' in answer) {
      const { delayMs, then } = answer;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      answer = then;
    }
    if ('drop' in answer) return dropConnection(req);
    if (answer.status === 200) return reply(200);
    const { status, reason, timestamp } = answer as { status: number; reason: string; timestamp?: number };
    reply(status, reason, timestamp !== undefined ? { timestamp } : {});
  }

  /**
   * Apple's channel management API (POST/GET/DELETE /1/apps/<bundle>/channels, GET
   * /1/apps/<bundle>/all-channels) and the broadcast endpoint (POST /4/broadcasts/apps/<bundle>),
   * with the same JWT rules as sends: a key manages and publishes only for its team's bundle ids.
   * A broadcast's answer can be staged under its channel id.
   */
  private async handleChannels(req: http2.Http2ServerRequest, res: http2.Http2ServerResponse): Promise<void> {
    const body = await readBody(req);
    const reply = (status: number, reason?: string, headers: Record<string, string> = {}, json?: unknown) => {
      const content = reason ? { reason } : json;
      res.writeHead(status, { 'apns-request-id': randomUUID(), ...headers, ...(content ? { 'content-type': 'application/json' } : {}) });
      if (content) res.end(JSON.stringify(content));
      else res.end();
    };
    const auth = this.checkProviderToken(req.headers.authorization);
    if (typeof auth === 'string') return reply(403, auth);
    const broadcast = BROADCAST_PATH.exec(req.url);
    const bundleId = decodeURIComponent((broadcast ?? CHANNELS_PATH.exec(req.url))![1]!);
    if (!auth.topics.includes(bundleId)) return reply(403, 'TopicDisallowed');
    const channelId = req.headers['apns-channel-id'] as string | undefined;
    const known = channelId !== undefined ? this.channels.get(channelId) : undefined;
    if (broadcast) {
      if (req.method !== 'POST') return reply(405, 'MethodNotAllowed');
      if (!channelId) return reply(400, 'MissingChannelId');
      if (!known || known.bundleId !== bundleId) return reply(400, 'BadChannelId');
      if (req.headers['apns-push-type'] !== 'liveactivity') return reply(400, 'InvalidPushType');
      let payload: unknown;
      try {
        payload = JSON.parse(body);
      } catch {
        return reply(400, 'PayloadEmpty');
      }
      const problem = liveActivityProblem(payload) ?? ((payload as { aps: { event: string } }).aps.event === 'start' ? 'a channel takes update and end only' : undefined);
      if (problem) {
        this.refused.push({ token: channelId, problem });
        return reply(400, 'BadLiveActivityPayload');
      }
      const answer = this.answers.next(channelId);
      if ('status' in answer && answer.status !== 200) return reply(answer.status, (answer as { reason: string }).reason);
      this.broadcasts.push({ channelId, bundleId, headers: req.headers, payload, keyId: auth.keyId });
      return reply(200);
    }
    this.channelRequests.push({ method: req.method, path: req.url, keyId: auth.keyId });
    if (req.url.endsWith('/all-channels')) {
      if (req.method !== 'GET') return reply(405, 'MethodNotAllowed');
      return reply(200, undefined, {}, { channels: [...this.channels].filter(([, c]) => c.bundleId === bundleId).map(([id]) => id) });
    }
    if (req.method === 'POST') {
      let request: { 'message-storage-policy'?: unknown; 'push-type'?: unknown };
      try {
        request = JSON.parse(body);
      } catch {
        return reply(400, 'BadRequest');
      }
      if (request['message-storage-policy'] !== 0 && request['message-storage-policy'] !== 1) return reply(400, 'BadMessageStoragePolicy');
      if (request['push-type'] !== 'LiveActivity') return reply(400, 'InvalidPushType');
      const id = randomBytes(16).toString('base64');
      this.channels.set(id, { bundleId, storagePolicy: request['message-storage-policy'] });
      return reply(201, undefined, { 'apns-channel-id': id });
    }
    if (!channelId) return reply(400, 'MissingChannelId');
    if (!known || known.bundleId !== bundleId) return reply(404, 'ChannelNotRegistered');
    if (req.method === 'GET') return reply(200, undefined, {}, { 'message-storage-policy': known.storagePolicy, 'push-type': 'LiveActivity' });
    if (req.method === 'DELETE') {
      this.channels.delete(channelId);
      return reply(204);
    }
    return reply(405, 'MethodNotAllowed');
  }

  /** The provider JWT: ES256, a known key id of the claimed team, not older than an hour, signed by that key. Answers the key, or the reason. */
  private checkProviderToken(authorization: string | undefined): ApnsSimKey | string {
    const match = /^bearer (.+)$/i.exec(authorization ?? '');
    if (!match) return 'MissingProviderToken';
    const jwt = decodeJwt(match[1]!);
    const key = jwt ? this.keys.find((k) => k.keyId === jwt.header.kid && k.teamId === jwt.payload.iss) : undefined;
    if (!jwt || jwt.header.alg !== 'ES256' || !key) return 'InvalidProviderToken';
    const signatureOk = verify('sha256', Buffer.from(jwt.signed), { key: key.publicKey, dsaEncoding: 'ieee-p1363' }, jwt.signature);
    if (!signatureOk) return 'InvalidProviderToken';
    const iat = Number(jwt.payload.iat);
    if (!Number.isFinite(iat) || Date.now() / 1000 - iat > JWT_MAX_AGE_S) return 'ExpiredProviderToken';
    return key;
  }
}
