import { refuseOverBound } from '../db/workspace-bound';
import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db, UpdateFilter } from 'mongodb';
import { ConflictError, NotFoundError, UnavailableError, ValidationError } from '../errors';
import { PROVIDER_MODULES, providerModule } from '../providers/catalogue';
import type { AppRef } from '../providers/provider-module';
import type { ProviderKey } from '../tokens/token-fields';
import type { AppInput, CredentialInput } from './credential-schemas';
import type { Sealed, SecretBox } from './secret-box';

/**
 * The `credentials` and `apps` collections (docs/storage.md). A workspace's credentials hold
 * its provider keys, sealed by the SecretBox; its apps say which credential serves which app.
 * Reads answer fingerprints, never key material: only the provider clients ask for it
 * (`keyMaterial`), and they never hand it out.
 */
export type CredentialDocument = {
  workspace_id: string;
  credential_id: string;
  provider_key: ProviderKey;
  /**
   * What the provider's module keeps in the clear (never secret): APNs `team_id`, `key_id`,
   * `environments`; FCM `project_id`, `client_email`; OneSignal `app_id`; Expo
   * `has_access_token`. Documents written before it existed keep the same fields under the
   * module's legacy field (`apn`, `fcm`, `onesignal`, `expo`), which settingsOf reads.
   */
  settings?: Record<string, unknown>;
  /** SHA-256 of the key material: tells two keys apart without revealing either. */
  key_sha256: string;
  /** Its pace for broadcasts, in notifications a second (broadcast/rate-budget.ts); absent: the instance's default for its provider. */
  rate_per_second?: number;
  secret: Sealed;
  /**
   * Random, and new whenever the sealed secret is written: created, replaced or rekeyed. The
   * provider-client cache keys clients by it, so a credential deleted and created again (whose
   * revision starts over) or rekeyed never reuses a client built from the key it had before.
   * Absent on documents written before it existed (see credentialIdentity).
   */
  generation?: string;
  /** How many app saves are linking this credential right now, and until when at the latest (putApp): deleting it waits. */
  linking?: number;
  linking_until?: Date;
  /** Until when a delete is checking that no app uses this credential: linking an app waits. */
  deleting_until?: Date;
  revision: number;
  created_at: Date;
  updated_at: Date;
};

/** What a cached provider client was built from: changes with every write of the credential's key. */
export function credentialIdentity(doc: Pick<CredentialDocument, 'generation' | 'revision'> & { _id?: unknown }): string {
  return doc.generation ?? `legacy:${String(doc._id)}:${doc.revision}`;
}

const newGeneration = () => randomBytes(12).toString('hex');

/** The provider module's settings of a stored credential, checked (from `settings`, or the legacy field of older documents). */
export function settingsOf(doc: Pick<CredentialDocument, 'provider_key' | 'settings'> & Record<string, unknown>): unknown {
  const module = providerModule(doc.provider_key);
  return module.settings.parse(doc.settings ?? doc[module.legacyField]);
}

/** Each provider key names the app's credential for that provider (an AppRef of its module). */
export type AppDocument = {
  workspace_id: string;
  app_id: string;
  revision: number;
  created_at: Date;
  updated_at: Date;
} & Partial<Record<ProviderKey, AppRef>>;

/** Fields written before `settings` held the modules' settings; unset on every write, read by settingsOf. */
const LEGACY_FIELDS = Object.fromEntries(PROVIDER_MODULES.map((m) => [m.legacyField, '']));
const LEGACY_PROJECTION = Object.fromEntries(PROVIDER_MODULES.map((m) => [m.legacyField, 1]));

/** A credential as the API shows it: its module's fingerprint fields, never key material. */
export type CredentialView = {
  credential_id: string;
  provider_key: ProviderKey;
  key_sha256: string;
  revision: number;
  updated_at: string;
} & Record<string, unknown>;
/** What a send needs to know of a credential: no secret, and the identity its cached client is keyed by. */
export type CredentialRef = Pick<CredentialDocument, 'credential_id' | 'provider_key' | 'rate_per_second'> & { settings: unknown; identity: string };

export type AppView = Omit<AppDocument, 'workspace_id' | 'created_at' | 'updated_at'> & { updated_at: string };

/**
 * How long the marks that keep an app save and a credential delete apart hold. Each side's
 * work between setting its mark and finishing is one or two single-document writes, so this
 * is far longer than it needs; a replica that dies holding a mark blocks the other side no
 * longer than this. Replicas' clocks must agree to well within it.
 */
const MARK_MS = 30_000;
const markFree = (field: 'linking_until' | 'deleting_until', now: Date) => ({ $or: [{ [field]: { $exists: false } }, { [field]: { $lt: now } }] });
/** No app save in progress: none counted, or the last mark ran out (a replica died holding it). */
const noLinkInProgress = (now: Date) => ({ $or: [{ linking: { $exists: false } }, { linking: { $lte: 0 } }, ...markFree('linking_until', now).$or] });

const MISSING_KEYS = 'CREDENTIALS_KEYS is not set, so credentials can not be stored or read (see .env.example); nothing is stored in plaintext';

export async function ensureCredentialIndexes(db: Db): Promise<void> {
  await db.collection('credentials').createIndex({ workspace_id: 1, credential_id: 1 }, { unique: true, name: 'workspace_credential_unique' });
  await db.collection('apps').createIndex({ workspace_id: 1, app_id: 1 }, { unique: true, name: 'workspace_app_unique' });
}

export class CredentialStore {
  private readonly credentials: Collection<CredentialDocument>;
  private readonly apps: Collection<AppDocument>;

  constructor(
    db: Db,
    private readonly box: SecretBox | undefined,
    /** MAX_CREDENTIALS and MAX_APPS: how many one workspace may have. */
    private readonly limits: { credentials: number; apps: number } = { credentials: Number.MAX_SAFE_INTEGER, apps: Number.MAX_SAFE_INTEGER },
    private readonly now: () => Date = () => new Date(),
  ) {
    this.credentials = db.collection<CredentialDocument>('credentials');
    this.apps = db.collection<AppDocument>('apps');
  }

  private requireBox(): SecretBox {
    if (!this.box) throw new UnavailableError(MISSING_KEYS);
    return this.box;
  }

  async putCredential(workspaceId: string, credentialId: string, input: CredentialInput): Promise<{ created: boolean; credential: CredentialView }> {
    const box = this.requireBox();
    const { rate_per_second: rate, ...keyInput } = input;
    const { material, settings } = providerModule(input.provider_key).seal(keyInput as CredentialInput);
    const now = this.now();
    const existing = await this.credentials.findOne({ workspace_id: workspaceId, credential_id: credentialId }, { projection: { provider_key: 1 } });
    if (!existing) await refuseOverBound(this.credentials, workspaceId, this.limits.credentials, 'credentials', 'MAX_CREDENTIALS');
    if (existing && existing.provider_key !== input.provider_key) {
      // An app that uses it expects the provider it was set up for.
      await this.assertUnused(workspaceId, credentialId, `provider_key can't change from ${existing.provider_key} while apps use it`);
    }
    const result = await this.credentials.findOneAndUpdate(
      { workspace_id: workspaceId, credential_id: credentialId },
      {
        $set: {
          provider_key: input.provider_key,
          settings: settings as Record<string, unknown>,
          key_sha256: createHash('sha256').update(material).digest('hex'),
          secret: box.seal(material, [workspaceId, credentialId]),
          generation: newGeneration(),
          updated_at: now,
          ...(typeof rate === 'number' ? { rate_per_second: rate } : {}),
        },
        // A PUT replaces the whole credential: without a rate, it has the instance's default again.
        $unset: { ...LEGACY_FIELDS, ...(typeof rate === 'number' ? {} : { rate_per_second: '' }) },
        $setOnInsert: { created_at: now },
        $inc: { revision: 1 },
      } as UpdateFilter<CredentialDocument>,
      { upsert: true, returnDocument: 'after', includeResultMetadata: false },
    );
    return { created: existing === null, credential: credentialView(result!) };
  }

  async getCredential(workspaceId: string, credentialId: string): Promise<CredentialView> {
    const doc = await this.credentials.findOne({ workspace_id: workspaceId, credential_id: credentialId });
    if (!doc) throw new NotFoundError('No credential with this id in this workspace');
    return credentialView(doc);
  }

  /** In credential_id order, from after `after`; `limit` of them. */
  async listCredentials(workspaceId: string, { limit, after }: { limit: number; after?: string | undefined }): Promise<CredentialView[]> {
    const docs = await this.credentials.find({ workspace_id: workspaceId, ...(after !== undefined ? { credential_id: { $gt: after } } : {}) }).sort({ credential_id: 1 }).limit(limit).toArray();
    return docs.map(credentialView);
  }

  /**
   * Deletes a credential no app uses. It can race with an app being saved to use it, so the two
   * take turns through marks on the credential document (MARK_MS): the delete marks it first,
   * which an app save in progress prevents (409) and which makes a later app save fail
   * (putApp), and only then looks for apps that use it. So an app never points at a deleted
   * credential, whichever comes first.
   */
  async deleteCredential(workspaceId: string, credentialId: string): Promise<void> {
    const id = { workspace_id: workspaceId, credential_id: credentialId };
    const now = this.now();
    const marked = await this.credentials.updateOne(
      { ...id, $and: [noLinkInProgress(now), markFree('deleting_until', now)] },
      { $set: { deleting_until: new Date(now.getTime() + MARK_MS) } },
    );
    if (marked.matchedCount === 0) {
      if (!(await this.credentials.findOne(id, { projection: { _id: 1 } }))) throw new NotFoundError('No credential with this id in this workspace');
      throw new ConflictError(`Credential ${credentialId} is being linked to an app or deleted right now; try again`);
    }
    try {
      await this.assertUnused(workspaceId, credentialId, 'it is still used by apps');
    } catch (error) {
      await this.credentials.updateOne(id, { $unset: { deleting_until: '' } });
      throw error;
    }
    await this.credentials.deleteOne(id);
  }

  private async assertUnused(workspaceId: string, credentialId: string, why: string): Promise<void> {
    const users = await this.apps
      .find({ workspace_id: workspaceId, $or: PROVIDER_MODULES.map(({ key }) => ({ [`${key}.credential_id`]: credentialId })) }, { projection: { app_id: 1 } })
      .limit(50)
      .toArray();
    if (users.length > 0) throw new ConflictError(`Credential ${credentialId}: ${why}: ${users.map((app) => app.app_id).join(', ')}`);
  }

  /**
   * Stores an app. Each credential it names is marked as being linked (MARK_MS) before the app
   * is written, in the same update that checks it exists and is not being deleted, so a delete
   * racing with this save either sees the app or makes this save fail (deleteCredential).
   */
  async putApp(workspaceId: string, appId: string, input: AppInput): Promise<{ created: boolean; app: AppView }> {
    const now = this.now();
    if (!(await this.apps.findOne({ workspace_id: workspaceId, app_id: appId }, { projection: { _id: 1 } }))) {
      await refuseOverBound(this.apps, workspaceId, this.limits.apps, 'apps', 'MAX_APPS');
    }
    const problems: { path: string; message: string }[] = [];
    const linked: string[] = [];
    for (const { key: provider, linkProblem } of PROVIDER_MODULES) {
      const ref = input[provider];
      if (!ref) continue;
      const id = { workspace_id: workspaceId, credential_id: ref.credential_id };
      const credential = await this.credentials.findOneAndUpdate(
        { ...id, ...markFree('deleting_until', now) },
        { $inc: { linking: 1 }, $max: { linking_until: new Date(now.getTime() + MARK_MS) } },
        { projection: { provider_key: 1, settings: 1, ...LEGACY_PROJECTION }, returnDocument: 'after', includeResultMetadata: false },
      );
      if (!credential) {
        if (await this.credentials.findOne(id, { projection: { _id: 1 } })) throw new ConflictError(`Credential ${ref.credential_id} is being deleted`);
        problems.push({ path: `${provider}.credential_id`, message: 'no credential with this id in this workspace' });
        continue;
      }
      linked.push(ref.credential_id);
      if (credential.provider_key !== provider) {
        problems.push({ path: `${provider}.credential_id`, message: `is a ${credential.provider_key} credential` });
        continue;
      }
      const problem = linkProblem?.(ref, settingsOf(credential));
      if (problem) problems.push(problem);
    }
    try {
      if (problems.length > 0) throw new ValidationError(problems);
      const before = await this.apps.findOneAndUpdate(
        { workspace_id: workspaceId, app_id: appId },
        {
          $set: { ...Object.fromEntries(PROVIDER_MODULES.filter(({ key }) => input[key]).map(({ key }) => [key, input[key]])), updated_at: now },
          $unset: Object.fromEntries(PROVIDER_MODULES.filter(({ key }) => !input[key]).map(({ key }) => [key, ''])),
          $setOnInsert: { created_at: now },
          $inc: { revision: 1 },
        },
        { upsert: true, returnDocument: 'before', includeResultMetadata: false },
      );
      return { created: before === null, app: await this.getApp(workspaceId, appId) };
    } finally {
      // The app is written (or not): once no other save is linking it, a delete may look.
      if (linked.length > 0) await this.credentials.updateMany({ workspace_id: workspaceId, credential_id: { $in: linked } }, { $inc: { linking: -1 } });
    }
  }

  async getApp(workspaceId: string, appId: string): Promise<AppView> {
    const doc = await this.apps.findOne({ workspace_id: workspaceId, app_id: appId });
    if (!doc) throw new NotFoundError('No app with this id in this workspace');
    return appView(doc);
  }

  /** In app_id order, from after `after`; `limit` of them. */
  async listApps(workspaceId: string, { limit, after }: { limit: number; after?: string | undefined }): Promise<AppView[]> {
    return (await this.apps.find({ workspace_id: workspaceId, ...(after !== undefined ? { app_id: { $gt: after } } : {}) }).sort({ app_id: 1 }).limit(limit).toArray()).map(appView);
  }

  async deleteApp(workspaceId: string, appId: string): Promise<void> {
    const result = await this.apps.deleteOne({ workspace_id: workspaceId, app_id: appId });
    if (result.deletedCount === 0) throw new NotFoundError('No app with this id in this workspace');
  }

  /** The apps a send needs, by id (no secrets). */
  async appsById(workspaceId: string, appIds: readonly string[]): Promise<Map<string, AppDocument>> {
    const docs = await this.apps.find({ workspace_id: workspaceId, app_id: { $in: [...appIds] } }).toArray();
    return new Map(docs.map((doc) => [doc.app_id, doc]));
  }

  /** Identities and fingerprints of the credentials a send needs (no secrets). */
  async credentialsById(workspaceId: string, credentialIds: readonly string[]): Promise<Map<string, CredentialRef>> {
    const docs = await this.credentials
      .find({ workspace_id: workspaceId, credential_id: { $in: [...credentialIds] } }, { projection: { credential_id: 1, provider_key: 1, settings: 1, ...LEGACY_PROJECTION, revision: 1, generation: 1, rate_per_second: 1 } })
      .toArray();
    return new Map(docs.map((doc) => [doc.credential_id, { credential_id: doc.credential_id, provider_key: doc.provider_key, settings: settingsOf(doc), identity: credentialIdentity(doc), ...(doc.rate_per_second !== undefined ? { rate_per_second: doc.rate_per_second } : {}) }]));
  }

  /**
   * For provider clients only: the decrypted key material of one credential, as it is at
   * `identity`. A credential that was deleted, replaced or rekeyed since the send read it is
   * refused rather than silently built from another key than the one the send planned with.
   */
  async keyMaterial(workspaceId: string, credentialId: string, identity?: string): Promise<{ doc: CredentialDocument; material: string }> {
    const doc = await this.credentials.findOne({ workspace_id: workspaceId, credential_id: credentialId });
    if (!doc) throw new NotFoundError('No credential with this id in this workspace');
    if (identity !== undefined && credentialIdentity(doc) !== identity) throw new ConflictError(`Credential ${credentialId} changed while the send was being planned`);
    return { doc, material: this.requireBox().open(doc.secret, [workspaceId, credentialId]) };
  }

  /**
   * Re-encrypts every credential sealed with another key than the current one, so an old key
   * can be retired. Each write is conditional on the revision read, so a credential replaced
   * meanwhile keeps its new value. Answers how many were re-encrypted, and the ids of those no
   * configured key opens (left as they are).
   */
  async rekey(): Promise<{ rekeyed: number; unreadable: string[] }> {
    const box = this.requireBox();
    let rekeyed = 0;
    const unreadable: string[] = [];
    for await (const doc of this.credentials.find({ 'secret.key_id': { $ne: box.currentKeyId } })) {
      let material: string;
      try {
        material = box.open(doc.secret, [doc.workspace_id, doc.credential_id]);
      } catch {
        unreadable.push(`${doc.workspace_id}/${doc.credential_id}`);
        continue;
      }
      const result = await this.credentials.updateOne(
        { workspace_id: doc.workspace_id, credential_id: doc.credential_id, revision: doc.revision },
        { $set: { secret: box.seal(material, [doc.workspace_id, doc.credential_id]), generation: newGeneration() } },
      );
      rekeyed += result.modifiedCount;
    }
    return { rekeyed, unreadable };
  }
}

function credentialView(doc: CredentialDocument): CredentialView {
  return {
    credential_id: doc.credential_id,
    provider_key: doc.provider_key,
    ...providerModule(doc.provider_key).view(settingsOf(doc)),
    key_sha256: doc.key_sha256,
    rate_per_second: doc.rate_per_second ?? null,
    revision: doc.revision,
    updated_at: doc.updated_at.toISOString(),
  };
}

function appView(doc: AppDocument): AppView {
  return {
    app_id: doc.app_id,
    ...Object.fromEntries(PROVIDER_MODULES.flatMap(({ key }) => (doc[key] ? [[key, doc[key]]] : []))),
    revision: doc.revision,
    updated_at: doc.updated_at.toISOString(),
  };
}
