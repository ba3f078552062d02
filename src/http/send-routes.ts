import { mayReadTokens } from '../auth/principal';
import { caseSensitiveRouter } from './router';
import type { Request, Router } from 'express';
import { ConflictError, UnprocessableError, ValidationError } from '../errors';
import { bodyHash, IDEMPOTENCY_KEY, type IdempotencyStore, type KeptAnswer } from '../messages/idempotency';
import type { MessageService, Recipient } from '../messages/message-service';
import type { JsonValue, Notification } from '../providers/provider';
import { payloadSizes } from '../providers/payload-sizes';
import type { SendReport } from '../sender/send-report';
import type { TokenRegistry } from '../tokens/token-registry';
import { randomUUID } from 'node:crypto';
import { errorForLog, maskSecret, type Logger } from '../logger';
import { parseOrThrow } from '../validation';
import { principalOf, requireScope } from './auth';
import { isBroadcast, sendBody, type SendBody } from './send-schemas';
import type { BroadcastService } from '../broadcast/broadcast-service';

/** Courier-shaped message → the sender's Notification (the payload builders map it to each provider). */
export function toNotification(message: SendBody['message'], now: Date = new Date()): Notification {
  const n: Notification = {};
  const la = message.live_activity;
  if (la) {
    n.liveActivity = {
      event: la.event,
      contentState: la.content_state as Record<string, JsonValue>,
      // iOS keeps the newest event: one sent without a timestamp is as new as now.
      timestamp: la.timestamp ?? now,
      ...(la.attributes_type !== undefined ? { attributesType: la.attributes_type } : {}),
      ...(la.attributes !== undefined ? { attributes: la.attributes as Record<string, JsonValue> } : {}),
      ...(la.stale_date ? { staleDate: la.stale_date } : {}),
      ...(la.dismissal_date ? { dismissalDate: la.dismissal_date } : {}),
      ...(la.relevance_score !== undefined ? { relevanceScore: la.relevance_score } : {}),
      ...(la.alert ? { alert: Object.fromEntries(Object.entries(la.alert).filter(([, v]) => v !== undefined)) } : {}),
      ...(la.activity_id !== undefined ? { activityId: la.activity_id } : {}),
      ...(la.input_push_channel !== undefined ? { inputPushChannel: la.input_push_channel } : {}),
    };
  }
  const set = <K extends keyof Notification>(key: K, value: Notification[K] | undefined) => {
    if (value !== undefined) n[key] = value;
  };
  set('title', message.content?.title);
  set('body', message.content?.body);
  if (message.data) n.data = message.data as Record<string, JsonValue>;
  const push = message.push ?? {};
  set('badge', push.badge);
  set('sound', push.sound);
  set('ttlSeconds', push.ttl);
  if (push.expiration !== undefined) n.expiration = new Date(push.expiration);
  set('priority', push.priority);
  set('collapseKey', push.collapse_key);
  set('contentAvailable', push.content_available);
  set('mutableContent', push.mutable_content);
  set('subtitle', push.subtitle);
  set('image', push.image);
  set('category', push.category);
  set('threadId', push.thread_id);
  set('interruptionLevel', push.interruption_level);
  set('relevanceScore', push.relevance_score);
  if (push.android) {
    const a = push.android;
    n.android = Object.fromEntries(Object.entries({ channelId: a.channel_id, icon: a.icon, color: a.color, tag: a.tag, clickAction: a.click_action }).filter(([, v]) => v !== undefined));
  }
  if (push.localization) {
    const l = push.localization;
    n.localization = Object.fromEntries(Object.entries({ titleLocKey: l.title_loc_key, titleLocArgs: l.title_loc_args, locKey: l.loc_key, locArgs: l.loc_args }).filter(([, v]) => v !== undefined));
  }
  const overrides = Object.entries(message.providers ?? {}).flatMap(([key, entry]) => (entry.override ? [[key, entry.override] as const] : []));
  if (overrides.length > 0) n.overrides = Object.fromEntries(overrides);
  return n;
}

/** A notification too big for every provider is refused before anything is sent, naming each size. */
function refuseOversized(notification: Notification, now: Date): void {
  const sizes = payloadSizes(notification, now);
  if (sizes.every(({ bytes, max }) => bytes > max)) {
    throw new ValidationError([{ path: 'message', message: `is too large for every provider: ${sizes.map(({ provider, bytes, max }) => `${provider} ${bytes} bytes (at most ${max})`).join(', ')}` }]);
  }
}

/**
 * What a key without `tokens:read` may learn from a send: only what it already knew. Tokens
 * are shortened as the logs shorten them, and a token's user is shown only if the caller
 * named that user; otherwise `send` alone would read every user's tokens.
 */
export function redactForSendOnlyKey(report: SendReport, namedUsers: ReadonlySet<string>): SendReport {
  return {
    ...report,
    results: report.results.map((result) => ({
      ...result,
      // A kept answer's tokens are hints already (no token starts with "****").
      token: result.token.startsWith('****') ? result.token : maskSecret(result.token),
      user_id: result.user_id !== null && namedUsers.has(result.user_id) ? result.user_id : null,
    })),
  };
}

export type SendRouteOptions = { maxDelayMs: number; now?: () => Date; logger: Logger; tokens: Pick<TokenRegistry, 'tokenTexts'>; broadcasts: Pick<BroadcastService, 'start'> };

/** A send's answer as an Idempotency-Key keeps it for 24 hours: hints, not whole tokens (messages/idempotency.ts). */
function keptAnswer(report: SendReport, tokenIds: (string | null)[]): KeptAnswer {
  return { status: 200, body: { ...report, results: report.results.map((r) => ({ ...r, token: maskSecret(r.token) })) }, token_ids: tokenIds };
}

/**
 * A kept answer replayed to a caller with tokens:read: whole tokens again, from the registry by
 * _id (a token deleted since keeps its hint), or, for a named token that was not registered,
 * from the request itself (the same body, or the key would not have matched).
 */
async function withWholeTokens(answer: KeptAnswer, workspaceId: string, named: readonly string[], tokens: SendRouteOptions['tokens']): Promise<unknown> {
  if (answer.status !== 200 || !answer.token_ids) return answer.body;
  const ids = answer.token_ids;
  const texts = await tokens.tokenTexts(workspaceId, ids.filter((id): id is string => id !== null));
  const report = answer.body as SendReport;
  return {
    ...report,
    results: report.results.map((r, i) => {
      const id = ids[i];
      const whole = id ? texts.get(id) : named.find((token) => maskSecret(token) === r.token);
      return whole !== undefined ? { ...r, token: whole } : r;
    }),
  };
}

/**
 * POST /send: one message per recipient in the message log (src/messages). An immediate send
 * answers 200 with one result per token (an extension to Courier, which answers 202); a
 * delayed one answers 202 {requestId}, and so does a send to a list, a list pattern or an
 * audience, which runs in the background (src/broadcast). With an Idempotency-Key, a repeat gets the first answer
 * (messages/idempotency.ts); validation comes first, so a 400 is never kept, and from dispatch
 * on nothing is answered that would invite a resend (docs/architecture.md).
 */
export function sendRoutes(messages: MessageService, idempotency: IdempotencyStore, options: SendRouteOptions): Router {
  const router = caseSensitiveRouter();
  const now = options.now ?? (() => new Date());
  router.post('/send', requireScope('send'), async (req, res) => {
    const { message } = parseOrThrow(sendBody, req.body ?? {});
    const broadcastTo = isBroadcast(message.to) ? message.to : undefined;
    const recipients = broadcastTo ? [] : Array.isArray(message.to) ? message.to : [message.to as Recipient];
    const deliverAt = deliveryTime(message.delay, now(), options.maxDelayMs);
    const notification = toNotification(message, now());
    refuseOversized(notification, now());
    const key = idempotencyKeyOf(req);
    const principal = principalOf(res);
    const userIds = new Set(recipients.flatMap((r) => ('user_id' in r ? [r.user_id] : [])));
    const render = (answer: KeptAnswer) => {
      if (answer.status !== 200) return answer.body;
      return mayReadTokens(principal) ? answer.body : redactForSendOnlyKey(answer.body as SendReport, userIds);
    };

    const requestId = randomUUID();
    if (key !== undefined) {
      const begun = await idempotency.begin(principal.workspaceId, key, bodyHash(req.body), requestId, now(), (id) => messages.requested(principal.workspaceId, id));
      if (begun.kind === 'mismatch') throw new UnprocessableError('Idempotency-Key was used with another request body');
      if (begun.kind === 'running') throw new ConflictError('A request with this Idempotency-Key is still running');
      if (begun.kind === 'replay') {
        res.set('Idempotent-Replayed', 'true');
        const named = recipients.flatMap((r) => ('token' in r ? [r.token] : []));
        const body = mayReadTokens(principal) ? await withWholeTokens(begun.answer, principal.workspaceId, named, options.tokens) : begun.answer.body;
        res.status(begun.answer.status).json(render({ status: begun.answer.status, body }));
        return;
      }
    }
    let answer: KeptAnswer;
    let kept: KeptAnswer;
    try {
      const request = { notification, tracking: message.push?.tracking !== false, requestId, ...(deliverAt ? { deliverAt } : {}) };
      const sent = broadcastTo
        ? { status: 202 as const, requestId: (await options.broadcasts.start(principal.workspaceId, { ...request, recipient: broadcastTo })).requestId }
        : await messages.send(principal.workspaceId, { ...request, recipients });
      answer = sent.status === 202 ? { status: 202, body: { requestId: sent.requestId } } : { status: 200, body: sent.report };
      kept = sent.status === 202 ? answer : keptAnswer(sent.report, sent.tokenIds);
    } catch (error) {
      // messages.send throws only before anything was sent: the client's retry may run.
      if (key !== undefined) await idempotency.release(principal.workspaceId, key, requestId).catch(() => undefined);
      throw error;
    }
    // From here on the send went out: its answer stands even if the key's write fails (the
    // record stays running while it is tried again, and a repeat gets 409: never a resend).
    if (key !== undefined) {
      await idempotency.keep(principal.workspaceId, key, requestId, kept, (error) => {
        options.logger.error({ send_request_id: requestId, error: errorForLog(error) }, 'the Idempotency-Key answer could not be kept yet; trying again, and repeats get 409 meanwhile');
      });
    }
    res.status(answer.status).json(render(answer));
  });
  return router;
}

/** The Idempotency-Key header: 1–255 printable characters, sent once. */
function idempotencyKeyOf(req: Request): string | undefined {
  const values = req.headersDistinct['idempotency-key'];
  if (!values) return undefined;
  if (values.length > 1 || !IDEMPOTENCY_KEY.test(values[0]!)) throw new ValidationError([{ path: 'Idempotency-Key', message: 'must be sent once, as 1 to 255 printable ASCII characters' }]);
  return values[0];
}

/** When a delayed send is due, at most maxDelayMs ahead (MAX_DELAY); undefined for an immediate one. */
function deliveryTime(delay: SendBody['message']['delay'], now: Date, maxDelayMs: number): Date | undefined {
  if (!delay) return undefined;
  const at = delay.duration !== undefined ? new Date(now.getTime() + delay.duration) : new Date(Date.parse(delay.until!));
  const path = delay.duration !== undefined ? 'message.delay.duration' : 'message.delay.until';
  // An Invalid Date compares false with everything: it would pass the bound below and be due at once.
  if (!Number.isFinite(at.getTime())) throw new ValidationError([{ path, message: 'is not a time this service can schedule' }]);
  if (at.getTime() - now.getTime() > maxDelayMs) throw new ValidationError([{ path, message: `must be at most ${Math.round(maxDelayMs / 3_600_000)} hours ahead (MAX_DELAY)` }]);
  return at;
}
