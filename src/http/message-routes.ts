import { mayReadTokens } from '../auth/principal';
import type { Router } from 'express';
import { ValidationError, NotFoundError } from '../errors';
import type { MessageStore } from '../messages/message-store';
import type { MessageService } from '../messages/message-service';
import type { TokenRegistry } from '../tokens/token-registry';
import { decodeMessageCursor } from '../messages/message-store';
import { messageDetails, messageHistory, messageRetrieved, tokenIdsOf, type TokenTexts } from '../messages/message-view';
import type { MessageDocument } from '../messages/message-document';
import { parseOrThrow } from '../validation';
import { principalOf, requireScope } from './auth';
import { historyQuery, listMessagesQuery, messageParams } from './message-schemas';
import { recordRouteParams } from './request-context';
import { caseSensitiveRouter } from './router';
import { idPageQuery, pageOf } from './id-paging';
import type { BroadcastService } from '../broadcast/broadcast-service';

const BROADCAST_TYPES: ReadonlySet<MessageDocument['recipient_type']> = new Set(['list_id', 'list_pattern', 'audience_id']);
const isBroadcastMessage = (message: MessageDocument) => BROADCAST_TYPES.has(message.recipient_type);

/**
 * Courier's message log: GET /messages, /messages/:id, /messages/:id/history (messages:read,
 * API keys only), and POST /messages/:id/cancel (send). Another workspace's message is a 404.
 */
export function messageRoutes(store: MessageStore, messages: MessageService, tokens: Pick<TokenRegistry, 'tokenTexts'>, broadcasts: Pick<BroadcastService, 'progress' | 'cancel' | 'failures'>): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['message_id']);
  const read = requireScope('messages:read');
  /** Whole tokens for a key with tokens:read; none for any other (the view shows each token's hint). */
  const textsFor = async (res: Parameters<typeof principalOf>[0], message: MessageDocument): Promise<TokenTexts> => {
    const principal = principalOf(res);
    return mayReadTokens(principal) ? tokens.tokenTexts(principal.workspaceId, tokenIdsOf(message)) : new Map();
  };
  const found = async (workspaceId: string, id: string) => {
    const message = await store.get(workspaceId, id);
    if (!message) throw new NotFoundError('No such message in this workspace');
    return message;
  };

  router.get('/messages', read, async (req, res) => {
    const query = parseOrThrow(listMessagesQuery, req.query);
    const cursor = query.cursor === undefined ? undefined : decodeMessageCursor(query.cursor);
    if (query.cursor !== undefined && !cursor) throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this service gave' }]);
    const page = await store.list(
      principalOf(res).workspaceId,
      {
        ...(query.recipient !== undefined ? { recipient: query.recipient } : {}),
        ...(query.status ? { statuses: query.status } : {}),
        ...(query.provider ? { providers: query.provider } : {}),
        ...(query.enqueued_after ? { enqueuedAfter: query.enqueued_after } : {}),
        ...(query.messageId !== undefined ? { messageId: query.messageId } : {}),
      },
      query.limit,
      cursor,
    );
    res.json({ results: page.messages.map(messageDetails), paging: { cursor: page.cursor, more: page.cursor !== null } });
  });

  router.get('/messages/:message_id', read, async (req, res) => {
    const { message_id } = parseOrThrow(messageParams, req.params);
    const workspaceId = principalOf(res).workspaceId;
    const message = await found(workspaceId, message_id);
    // A broadcast's message carries its live progress (src/broadcast).
    const progress = isBroadcastMessage(message) ? await broadcasts.progress(workspaceId, message) : null;
    res.json({ ...messageRetrieved(message, await textsFor(res, message)), ...(progress ? { recipient_type: message.recipient_type, progress } : {}) });
  });

  router.get('/messages/:message_id/failures', read, async (req, res) => {
    const { message_id } = parseOrThrow(messageParams, req.params);
    const { limit, cursor } = parseOrThrow(idPageQuery, req.query);
    const workspaceId = principalOf(res).workspaceId;
    const failures = await broadcasts.failures(workspaceId, message_id, limit + 1, cursor);
    if (!failures) throw new NotFoundError('No such broadcast message in this workspace');
    const { page, paging } = pageOf(failures, limit, (f) => f._id);
    const texts = mayReadTokens(principalOf(res)) ? await tokens.tokenTexts(workspaceId, page.flatMap((f) => (f.token_id ? [f.token_id] : []))) : new Map<string, string>();
    res.json({
      results: page.map((f) => ({
        token_id: f.token_id,
        token: (f.token_id && texts.get(f.token_id)) || f.token_hint,
        user_id: f.user_id,
        provider_key: f.provider_key,
        app_id: f.app_id,
        outcome: f.outcome,
        code: f.code,
        reason: f.reason,
        at: f.at.getTime(),
      })),
      paging,
    });
  });

  router.get('/messages/:message_id/history', read, async (req, res) => {
    const { message_id } = parseOrThrow(messageParams, req.params);
    const { type } = parseOrThrow(historyQuery, req.query);
    const message = await found(principalOf(res).workspaceId, message_id);
    res.json(messageHistory(message, type, await textsFor(res, message)));
  });

  // Courier: 200 with the record when canceled, 409 with the record once it is past DELAYED.
  router.post('/messages/:message_id/cancel', requireScope('send'), async (req, res) => {
    const { message_id } = parseOrThrow(messageParams, req.params);
    const workspaceId = principalOf(res).workspaceId;
    const stopped = await broadcasts.cancel(workspaceId, message_id);
    if (stopped) {
      // A broadcast: canceled while delayed or running; `progress.sent` says how many tokens had been handed to providers.
      const message = await found(workspaceId, message_id);
      res.status(stopped.canceled ? 200 : 409).json({ ...messageDetails(message), progress: stopped.progress });
      return;
    }
    const { canceled, message } = await messages.cancel(workspaceId, message_id);
    if (!message) throw new NotFoundError('No such message in this workspace');
    res.status(canceled ? 200 : 409).json(messageDetails(message));
  });
  return router;
}
