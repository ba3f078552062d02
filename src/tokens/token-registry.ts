import type { InvalidationListener } from './invalidation-listener';
import { crashPoint } from '../crash-points';
import { Types, type UpdateQuery } from 'mongoose';
import { addDuration, type Duration } from '../duration';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import { decodeCursor, encodeCursor } from './cursor';
import { applyPatch, PatchError, type PatchOperation } from './json-patch';
import { editableToken, MAX_TOKEN_DEPTH, MAX_TOKEN_JSON_BYTES, type Device, type ProviderKey, type Registration, type TokenStatus, type Tracking, type WebPushKeys } from './token-fields';
import type { TokenDocument, TokenModel } from './token-model';
import { notExpired } from './token-queries';
import { MAX_WRITE_ATTEMPTS, retryOnDuplicateKey } from './upsert-retry';
import { kindQuery, sameKindQuery, UPDATE_TOKEN_TTL_MS, type LiveActivityToken, type TokenKind } from './live-activity';
import { retireReplacedTokens } from './token-refresh';
import { newLife } from './token-transfer';
import { toTokenView, type TokenView } from './token-view';
import { issuesToProblems } from '../validation';
import { tokenFormatProblem } from './token-formats';
import type { EndpointPolicy } from './webpush-endpoint';
import { storedBytes, type UserTokenBudget, type WrittenToken } from './user-budget';

/** What happened to tokens, for metrics and logs. Never carries the token text. */
export type RegistryEvent =
  | { type: 'registered'; provider: ProviderKey; change: 'created' | 'updated' | 'transferred' }
  | { type: 'refreshed'; count: number }
  | { type: 'invalidated'; provider: ProviderKey; reason: string; count: number };

export type RegistryOptions = {
  defaultTtl: Duration;
  /** Keeps each user within MAX_TOKENS_PER_USER and MAX_BYTES_PER_USER (user-budget.ts); unbounded when absent. */
  budget?: UserTokenBudget;
  now?: () => Date;
  onEvent?: (event: RegistryEvent) => void;
  /** Told of a PATCH that makes a token `failed`, before and after its write (the webhooks' token.invalidated). */
  invalidations?: InvalidationListener;
  /** Which Web Push endpoints may be registered (WEBPUSH_ALLOWED_HOSTS, WEBPUSH_ALLOW_PRIVATE); the defaults when absent. */
  endpoints?: EndpointPolicy;
};

export type ListQuery = { limit: number; cursor?: string; provider_key?: ProviderKey; status?: TokenStatus; kind?: TokenKind };
export type TokenPage = { tokens: TokenView[]; paging: { cursor: string | null; more: boolean } };
export type PutResult = { created: boolean; transferredFrom: string | null; replaced: number };

/** Fields a PATCH may never touch; the rest of the view outside editableToken is read-only too. */
const IMMUTABLE_FIELDS = new Set(['token', 'user_id', 'provider_key', 'created_at', 'updated_at', 'last_used_at', 'keys']);


/**
 * A registration as the per-user bounds count it: new to the user, or replacing `previous`,
 * the version the user held (counted already), so only the difference is added.
 */
export function written(userId: string, token: string, registration: Registration, previous: Pick<TokenDocument, 'status' | 'properties' | 'device' | 'tracking'> | undefined): WrittenToken {
  const bytes = storedBytes({ token, user_id: userId, properties: registration.properties ?? {}, device: registration.device ?? undefined, tracking: registration.tracking ?? undefined });
  if (!previous) return { token, added: true, bytes };
  // A registration always leaves the token active.
  return { token, added: false, bytes: bytes - storedBytes({ token, user_id: userId, properties: previous.properties, device: previous.device, tracking: previous.tracking }), activated: previous.status !== 'active' };
}

type OptionalFields = { device?: Device | null; tracking?: Tracking | null; expiry_date?: Date | undefined; keys?: WebPushKeys | null; live_activity?: LiveActivityToken | null };

/**
 * PUT and PATCH both write whole tokens: an optional field with no value is removed from the
 * document ($unset), never stored as null, so "no expiry" is an absent expiry_date.
 */
function withOptionalFields(set: Partial<TokenDocument>, optional: OptionalFields): UpdateQuery<TokenDocument> {
  const unset: Record<string, ''> = {};
  for (const field of ['device', 'tracking', 'expiry_date', 'keys', 'live_activity'] as const) {
    // A PATCH never names `keys` or `live_activity` (they change only by registering again): it keeps them.
    if (!(field in optional)) continue;
    const value = optional[field];
    if (value) (set as Record<string, unknown>)[field] = value;
    else unset[field] = '';
  }
  return { $set: set, ...(Object.keys(unset).length > 0 ? { $unset: unset } : {}) };
}

/** When a registration expires: its own date, never (false), or the default expiry from now. */
export function registrationExpiry(registration: Registration, now: Date, defaultTtl: Duration): Date | undefined {
  const expiry = registration.expiry_date;
  if (expiry === false) return undefined;
  if (typeof expiry === 'string') return new Date(expiry);
  // Absent, null or true: the default expiry; an activity's update token lives as long as an activity can.
  if (registration.live_activity?.kind === 'update') return new Date(now.getTime() + UPDATE_TOKEN_TTL_MS);
  return addDuration(now, defaultTtl);
}

/** The full-replace update of one registration: every optional field absent from the body is removed. */
export function registrationUpdate(userId: string, registration: Registration, now: Date, defaultTtl: Duration): UpdateQuery<TokenDocument> {
  const set: Partial<TokenDocument> = {
    user_id: userId,
    provider_key: registration.provider_key,
    status: 'active',
    status_reason: null,
    properties: registration.properties ?? {},
    updated_at: now,
  };
  return {
    ...withOptionalFields(set, { device: registration.device, tracking: registration.tracking, expiry_date: registrationExpiry(registration, now, defaultTtl), keys: registration.keys, live_activity: registration.live_activity }),
    // The id is made here, not by the server, so tokens of one request keep their order
    // (ObjectIds from one process increase), which paging by _id relies on.
    $setOnInsert: { _id: new Types.ObjectId(), ...newLife(now) },
    $inc: { revision: 1 },
  };
}

/**
 * The token registry: Courier's token semantics over the `tokens` collection. It throws domain
 * errors only; the HTTP layer decides what they look like on the wire.
 */
export class TokenRegistry {
  private readonly now: () => Date;
  private readonly budget: UserTokenBudget | undefined;

  constructor(
    private readonly model: TokenModel,
    private readonly options: RegistryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
    this.budget = options.budget;
  }

  private replacement(userId: string, registration: Registration, now: Date): UpdateQuery<TokenDocument> {
    return registrationUpdate(userId, registration, now, this.options.defaultTtl);
  }

  async put(workspaceId: string, userId: string, token: string, registration: Registration): Promise<PutResult> {
    const problem = tokenFormatProblem(registration.provider_key, token, this.options.endpoints);
    if (problem) throw new ValidationError([{ path: 'token', message: problem }]);
    const now = this.now();
    // The hot path of the service: the body was validated with zod, so the update goes to the
    // driver directly, without mongoose casting it again (about a tenth of a PUT's CPU).
    const before = await retryOnDuplicateKey(() =>
      this.model.collection.findOneAndUpdate({ workspace_id: workspaceId, token }, this.replacement(userId, registration, now) as Record<string, unknown>, {
        upsert: true,
        returnDocument: 'before',
        // The written fields too, so the per-user bounds count only what this write added.
        projection: { user_id: 1, expiry_date: 1, status: 1, properties: 1, device: 1, tracking: 1 },
      }) as Promise<Pick<TokenDocument, '_id' | 'user_id' | 'expiry_date' | 'status' | 'properties' | 'device' | 'tracking'> | null>,
    );
    const expiredBefore = before?.expiry_date !== undefined && before.expiry_date <= now;
    const created = before === null || expiredBefore;
    const transferredFrom = !created && before!.user_id !== userId ? before!.user_id : null;
    if (expiredBefore || transferredFrom !== null) {
      // An expired token was already gone, and a transferred one starts a new life with its new
      // owner: neither keeps the old history (the replacement above cleared everything else).
      await this.model.updateOne({ _id: before!._id, user_id: userId }, { $set: newLife(now) }).exec();
    }
    this.options.onEvent?.({
      type: 'registered',
      provider: registration.provider_key,
      change: created ? 'created' : transferredFrom ? 'transferred' : 'updated',
    });
    const replaced = await this.retireOlderTokensOfDevice(workspaceId, userId, [{ token, registration }], now);
    await this.budget?.enforce(workspaceId, userId, [written(userId, token, registration, created || transferredFrom !== null ? undefined : before!)], now);
    return { created, transferredFrom, replaced };
  }

  /**
   * Adds or replaces several tokens of one user. The caller has validated every item, so a
   * bad item never leaves the others half-written; the writes are idempotent upserts, so a
   * request that fails on the way (the database went away) can simply be repeated.
   */
  async putMany(workspaceId: string, userId: string, items: { token: string; registration: Registration }[]): Promise<void> {
    // All-or-nothing: every item is checked before anything is written.
    const problems = items.flatMap(({ token, registration }, index) => {
      const problem = tokenFormatProblem(registration.provider_key, token, this.options.endpoints);
      return problem ? [{ path: `tokens[${index}].token`, message: problem }] : [];
    });
    if (problems.length > 0) throw new ValidationError(problems);
    const now = this.now();
    const tokens = items.map((item) => item.token);
    const existing = await this.model
      .find({ workspace_id: workspaceId, token: { $in: tokens } }, { token: 1, user_id: 1, expiry_date: 1, status: 1, properties: 1, device: 1, tracking: 1 })
      .lean<Pick<TokenDocument, '_id' | 'token' | 'user_id' | 'expiry_date' | 'status' | 'properties' | 'device' | 'tracking'>[]>()
      .exec();
    const expired = existing.filter((doc) => doc.expiry_date !== undefined && doc.expiry_date <= now);
    if (expired.length > 0) {
      await this.model.deleteMany({ _id: { $in: expired.map((doc) => doc._id) }, expiry_date: { $lte: now } }).exec();
    }
    await retryOnDuplicateKey(() =>
      this.model.bulkWrite(
        items.map(({ token, registration }) => ({
          updateOne: {
            filter: { workspace_id: workspaceId, token },
            update: this.replacement(userId, registration, now),
            upsert: true,
          },
        })),
        { ordered: true },
      ),
    );
    const live = new Map(existing.filter((doc) => !expired.includes(doc)).map((doc) => [doc.token, doc.user_id]));
    const transferred = [...live].filter(([, previousUser]) => previousUser !== userId).map(([token]) => token);
    if (transferred.length > 0) {
      await this.model
        .updateMany({ workspace_id: workspaceId, token: { $in: transferred }, user_id: userId }, { $set: newLife(now) })
        .exec();
    }
    for (const { token, registration } of items) {
      const previousUser = live.get(token);
      this.options.onEvent?.({
        type: 'registered',
        provider: registration.provider_key,
        change: previousUser === undefined ? 'created' : previousUser !== userId ? 'transferred' : 'updated',
      });
    }
    await this.retireOlderTokensOfDevice(workspaceId, userId, items, now);
    const held = new Map(existing.filter((doc) => !expired.includes(doc) && doc.user_id === userId).map((doc) => [doc.token, doc]));
    await this.budget?.enforce(workspaceId, userId, items.map(({ token, registration }) => written(userId, token, registration, held.get(token))), now);
  }

  /**
   * Token refresh: a device that registers a new token for the same app makes its older
   * tokens unsendable. They stay readable, as `revoked` with status_reason `replaced`.
   */
  private async retireOlderTokensOfDevice(
    workspaceId: string,
    userId: string,
    items: { token: string; registration: Registration }[],
    now: Date,
  ): Promise<number> {
    // Per device, and per kind of token: a push-to-start token replaces only those of its attributes type (live-activity.ts).
    const devices = new Map<string, { appId: string; deviceId: string; kind: Record<string, unknown>; tokens: string[] }>();
    for (const { token, registration } of items) {
      const { app_id: appId, device_id: deviceId } = registration.device ?? {};
      if (!appId || !deviceId) continue;
      const kind = sameKindQuery(registration.live_activity);
      const key = JSON.stringify([appId, deviceId, kind]);
      const entry = devices.get(key) ?? { appId, deviceId, kind, tokens: [] };
      entry.tokens.push(token);
      devices.set(key, entry);
    }
    let replaced = 0;
    for (const { appId, deviceId, kind, tokens } of devices.values()) {
      replaced += await retireReplacedTokens(
        this.model,
        { workspaceId, userId, keepTokens: tokens, device: { app_id: appId, device_id: deviceId }, kind },
        now,
      );
    }
    if (replaced > 0) this.options.onEvent?.({ type: 'refreshed', count: replaced });
    return replaced;
  }

  private async findLive(workspaceId: string, userId: string, token: string, now: Date): Promise<TokenDocument> {
    // Reads on the request path go to the driver directly: the filter is built here from
    // validated values, and mongoose's query layer doubled a read's cost (measured).
    const doc = (await this.model.collection.findOne({ workspace_id: workspaceId, user_id: userId, token, ...notExpired(now) })) as TokenDocument | null;
    if (!doc) throw new NotFoundError('Token not found for this user');
    return doc;
  }

  /** Which user holds a token (the console's token lookup; the admin CLI's `find --token`). */
  async lookup(workspaceId: string, token: string): Promise<TokenView> {
    const doc = (await this.model.collection.findOne({ workspace_id: workspaceId, token, ...notExpired(this.now()) })) as TokenDocument | null;
    if (!doc) throw new NotFoundError('No user holds this token in this workspace');
    return toTokenView(doc);
  }

  async get(workspaceId: string, userId: string, token: string): Promise<TokenView> {
    return toTokenView(await this.findLive(workspaceId, userId, token, this.now()));
  }

  async list(workspaceId: string, userId: string, query: ListQuery): Promise<TokenPage> {
    const now = this.now();
    let after: Types.ObjectId | undefined;
    if (query.cursor !== undefined) {
      after = decodeCursor(query.cursor);
      if (!after) throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this API returned' }]);
    }
    const docs = (await this.model.collection
      .find({
        workspace_id: workspaceId,
        user_id: userId,
        ...(after ? { _id: { $gt: after } } : {}),
        ...(query.provider_key ? { provider_key: query.provider_key } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.kind ? kindQuery(query.kind) : {}),
        ...notExpired(now),
      })
      .sort({ _id: 1 })
      .limit(query.limit + 1)
      .toArray()) as TokenDocument[];
    const more = docs.length > query.limit;
    const page = more ? docs.slice(0, query.limit) : docs;
    return {
      tokens: page.map(toTokenView),
      paging: { cursor: more ? encodeCursor(page[page.length - 1]!._id) : null, more },
    };
  }

  /**
   * RFC 6902 patch of one token. The patch is applied to the API view, the result is checked
   * against the same rules as a PUT, and the write lands only if nobody else wrote in between
   * (optimistic concurrency on `revision`), so concurrent writers always serialize.
   */
  async patch(workspaceId: string, userId: string, token: string, operations: PatchOperation[]): Promise<void> {
    operations.forEach((operation, index) => {
      if (operation.op === 'test') return;
      const pointers: ['path' | 'from', string][] = [['path', operation.path]];
      if (operation.op === 'move') pointers.push(['from', operation.from]);
      for (const [field, pointer] of pointers) {
        const top = pointer.split('/')[1];
        if (pointer === '' || (top !== undefined && IMMUTABLE_FIELDS.has(top))) {
          throw new ValidationError([
            { path: `patch[${index}].${field}`, message: `${pointer || 'the whole token'} can not be changed` },
          ]);
        }
      }
    });

    for (let attempt = 1; attempt <= MAX_WRITE_ATTEMPTS; attempt++) {
      const now = this.now();
      const doc = await this.findLive(workspaceId, userId, token, now);
      const view = toTokenView(doc);
      let patched: Record<string, unknown>;
      try {
        patched = applyPatch(view as unknown as Record<string, unknown>, operations, { maxBytes: MAX_TOKEN_JSON_BYTES, maxDepth: MAX_TOKEN_DEPTH });
      } catch (error) {
        if (!(error instanceof PatchError)) throw error;
        const problem = { path: `patch[${error.index}].${error.field}`, message: error.message };
        if (error.testFailed) throw new ConflictError(`patch[${error.index}]: ${error.message}`);
        throw new ValidationError([problem]);
      }
      for (const field of IMMUTABLE_FIELDS) delete patched[field];
      const parsed = editableToken.safeParse(patched);
      if (!parsed.success) {
        throw new ValidationError(
          issuesToProblems(parsed.error.issues),
        );
      }
      const result = parsed.data;
      const set: Partial<TokenDocument> = {
        status: result.status,
        status_reason: result.status_reason ?? null,
        properties: result.properties ?? {},
        updated_at: now,
      };
      const update = withOptionalFields(set, {
        device: result.device,
        tracking: result.tracking,
        expiry_date: result.expiry_date ? new Date(result.expiry_date) : undefined,
      });
      // Patched to failed: a token.invalidated, written before the change (invalidation-listener.ts).
      const dies = doc.status !== 'failed' && result.status === 'failed' ? this.options.invalidations : undefined;
      const notice = { tokenId: doc._id, revision: doc.revision, userId, token, provider: doc.provider_key, appId: doc.device?.app_id ?? null, reason: set.status_reason ?? null, messageId: null };
      const intent = dies ? await dies.intend(workspaceId, [notice], now) : undefined;
      if (dies) crashPoint('patch:after-result');
      const write = await this.model.updateOne({ _id: doc._id, revision: doc.revision }, { ...update, $inc: { revision: 1 } }).exec();
      if (dies) crashPoint('patch:after-write');
      if (dies) await dies.settle(intent, new Set(write.matchedCount === 1 ? [doc._id.toHexString()] : []), now);
      if (write.matchedCount === 1) {
        // A patch can make a token active again, or grow it.
        const bytes = storedBytes({ token, user_id: userId, properties: set.properties, device: result.device ?? undefined, tracking: result.tracking ?? undefined }) - storedBytes(doc);
        await this.budget?.enforce(workspaceId, userId, [{ token, added: false, bytes, activated: doc.status !== 'active' && result.status === 'active' }], now);
        return;
      }
    }
    throw new ConflictError('The token kept changing while it was being patched; try again');
  }

  /** Whole tokens by _id (hex), of this workspace, for a key with tokens:read (the message log keeps hints only); a token deleted since is absent. */
  async tokenTexts(workspaceId: string, ids: readonly string[]): Promise<Map<string, string>> {
    const objectIds = ids.filter((id) => Types.ObjectId.isValid(id)).map((id) => new Types.ObjectId(id));
    if (objectIds.length === 0) return new Map();
    const docs = (await this.model.collection.find({ _id: { $in: objectIds }, workspace_id: workspaceId }, { projection: { token: 1 } }).toArray()) as Pick<TokenDocument, '_id' | 'token'>[];
    return new Map(docs.map((doc) => [doc._id.toHexString(), doc.token]));
  }

  async delete(workspaceId: string, userId: string, token: string): Promise<void> {
    const result = await this.model
      .deleteOne({ workspace_id: workspaceId, user_id: userId, token, ...notExpired(this.now()) })
      .exec();
    if (result.deletedCount === 0) throw new NotFoundError('Token not found for this user');
  }
}
