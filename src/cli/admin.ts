import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parseApiKeys } from '../auth/api-keys';
import { SCOPES } from '../auth/scopes';
import { newSigningJwk } from '../auth/signing-keys';
import type { z } from 'zod';
import { appBody, appId, credentialBody, credentialId, type CredentialInput } from '../apps/credential-schemas';
import { PROVIDER_MODULES } from '../providers/catalogue';
import { CredentialStore } from '../apps/credential-store';
import { credentialsBoxFromConfig } from '../apps/credentials-setup';
import { generateVapidKeys } from '../providers/webpush-vapid';
import { SecretBox } from '../apps/secret-box';
import { issuesToProblems } from '../validation';
import { loadAdminConfig, type AdminConfig } from '../config';
import { connectMongo, type Database } from '../db/connect';
import { EMBEDDED_URI_FILE } from '../db/embedded-mongo';
import { Metrics } from '../metrics';
import { durationToMs, parseDuration } from '../duration';
import { createLogger, maskSecret } from '../logger';
import { PROVIDER_KEYS, TOKEN_STATUSES, type TokenStatus } from '../tokens/token-fields';
import { TokenImporter } from '../tokens/token-import';
import { UserTokenBudget } from '../tokens/user-budget';
import { UserTokenCounts } from '../tokens/user-token-counts';
import { IMPORT_FORMATS, ImportUsageError, runImport, type ImportFormat } from './import/run-import';
import { reportText } from './import/import-report';
import { progressReporter } from './import/progress';
import { csvCell, TOKEN_CSV_COLUMNS, tokenCsvCells } from './import/token-records';
import { tokenModel, type TokenDocument, type TokenModel } from '../tokens/token-model';
import { toTokenView } from '../tokens/token-view';
import { ProviderRegistry } from '../providers/provider-registry';
import type { ReceiptPassReport } from '../sender/expo-receipts';
import { createServices } from '../services';
import { armCrashPoint } from '../crash-points';

/**
 * `npm run admin -- <command>`: operations on the tokens collection, straight on MongoDB (as
 * admin scripts do). Output goes to stdout (NDJSON or a table); progress and errors to stderr.
 * An error is one line and a non-zero exit: 1 for a failure, 2 for a usage mistake.
 */
class UsageError extends Error {}

const HELP: Record<string, string> = {
  stats: 'stats [--workspace W]\n  Tokens by workspace, provider and status, and how many expire in the next 7 days.',
  find: 'find (--token T | --user U) [--workspace W]\n  Prints the matching tokens as NDJSON.',
  revoke: 'revoke --workspace W --token T [--reason R]\n  Sets the token to status revoked (reason "admin" by default). It is no longer sent to.',
  purge:
    'purge --status S --older-than D [--workspace W] [--yes] [--batch N]\n  Deletes tokens of status S not updated for D (e.g. 30d). A dry run that only counts,\n  unless --yes is given; then deletes in batches of N (default 1000), with progress on stderr.',
  export:
    'export --workspace W [--user U] [--provider P] [--status S] [--format tokens-ndjson|tokens-csv]\n  Writes the workspace\'s (or one user\'s) tokens to stdout, as NDJSON (the default; `import --format tokens-ndjson`\n  reads it back unchanged) or CSV with a header row.',
  import:
    'import --workspace W --format onesignal-csv|parse-installations|tokens-ndjson|tokens-csv FILE|-\n  [--dry-run] [--resume] [--json] [--batch N] [--anonymous-prefix P] [--skip-anonymous] [--skip-invalid]\n  Imports tokens (gzipped or not) with the API\'s rules, in bulk batches (default 1000), with a progress bar on a terminal.\n  --dry-run validates and counts, writing nothing; --resume continues a stopped run of the same file from its checkpoint.\n  docs/import.md has each format\'s mapping.',
  credentials:
    'credentials list --workspace W | credentials put --workspace W --id C (--apn-key-file F.p8 --team-id T --key-id K [--environments production+sandbox] | --service-account-file F.json\n  | --expo [--expo-access-token-file F] | --onesignal-app-id UUID --onesignal-api-key-file F\n  | --vapid-public-key K --vapid-private-key-file F --vapid-subject mailto:you@example.com)\n  | credentials delete --workspace W --id C | credentials rekey | credentials new-key --key-id ID | credentials new-vapid\n  Provider credentials, stored encrypted with CREDENTIALS_KEYS (as the service does). put reads the key from a file\n  and checks it as PUT /credentials does. rekey re-encrypts every credential under the first key of CREDENTIALS_KEYS,\n  so an old key can be retired; new-key prints a new CREDENTIALS_KEYS entry; new-vapid prints a new VAPID key pair for Web Push.',
  apps:
    'apps list --workspace W | apps put --workspace W --id APP [--apn-credential C [--topic T] [--environment production|sandbox|auto]] [--fcm-credential C]\n  [--expo-credential C] [--onesignal-credential C]\n  | apps delete --workspace W --id APP\n  Which credential serves which app (device.app_id), per provider.',
  'signing-keys':
    'signing-keys create [--alg ES256|EdDSA]\n  Prints a new private JWK for USER_TOKEN_SIGNING_KEYS_FILE. Put it first in the file\'s "keys" to sign with\n  it; keep the old key after it until every token it signed has expired (docs/api.md, "Key rotation").',
  receipts:
    'receipts check\n  Reads the Expo receipts that are due now, once, as the service does every EXPO_RECEIPT_INTERVAL: dead tokens\n  become failed, missing receipts older than 24 h are dropped. Prints the pass\'s counts as JSON.',
  keys:
    'keys list | keys create --workspace W [--scopes a+b] | keys revoke\n  API keys live in API_KEYS, not in MongoDB. list shows them masked; create makes a new key and\n  prints the API_KEYS entry to add; revoke explains how to remove one.',
};

const USAGE = `usage: npm run admin -- <command> [options]\n\ncommands:\n${Object.values(HELP)
  .map((text) => `  ${text.split('\n')[0]}`)
  .join('\n')}\n\nEach command has --help. Database: MONGODB_URI, or the running embedded development database.`;

/** stdout may answer a promise: the line is taken once it resolves (a pipe's back-pressure). */
type Out = { stdout: (text: string) => void | Promise<void>; stderr: (text: string) => void; stdin?: NodeJS.ReadableStream; stderrIsTerminal?: boolean };

function options(args: string[], spec: Record<string, { type: 'string' | 'boolean' }>) {
  try {
    return parseArgs({ args, options: { ...spec, help: { type: 'boolean' } }, strict: true, allowPositionals: true }).values as Record<string, string | boolean | undefined>;
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== 'string' || value === '') throw new UsageError(`--${name} is required`);
  return value;
}

function databaseUri(config: AdminConfig): string {
  if (config.mongodbUri) return config.mongodbUri;
  const file = path.join(config.embeddedDbDir, EMBEDDED_URI_FILE);
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  throw new Error('MONGODB_URI is not set, and no embedded development database is running (start the service first)');
}

const record = (doc: TokenDocument) => ({ id: doc._id.toHexString(), workspace_id: doc.workspace_id, ...toTokenView(doc) });

/**
 * Each command first turns its options into arguments (throwing UsageError), and only then
 * touches MongoDB, so a usage mistake is reported as one even when no database is reachable.
 */
type Command<A> = { parse: (values: Record<string, unknown>) => A; run: (model: TokenModel, args: A, out: Out) => Promise<void> };
const command = <A>(spec: Command<A>) => spec as Command<unknown>;
const workspaceFilter = (values: Record<string, unknown>) => (typeof values.workspace === 'string' ? { workspace_id: values.workspace } : {});

const stats = command({
  parse: (values) => ({ match: workspaceFilter(values) }),
  run: async (model, { match }, out) => {
    const now = new Date();
    const groups = await model.aggregate<{ _id: { workspace: string; provider: string; status: string }; count: number }>([
      { $match: match },
      { $group: { _id: { workspace: '$workspace_id', provider: '$provider_key', status: '$status' }, count: { $sum: 1 } } },
      { $sort: { '_id.workspace': 1, '_id.provider': 1, '_id.status': 1 } },
    ]);
    const expiring = await model.countDocuments({ ...match, expiry_date: { $gt: now, $lte: new Date(now.getTime() + 7 * 86_400_000) } });
    const rows = [['workspace', 'provider', 'status', 'tokens'], ...groups.map((g) => [g._id.workspace, g._id.provider, g._id.status, String(g.count)])];
    const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
    for (const row of rows) out.stdout(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  ').trimEnd());
    out.stdout(`total ${groups.reduce((sum, g) => sum + g.count, 0)}; expiring in the next 7 days: ${expiring}`);
  },
});

const find = command({
  parse: (values) => {
    const token = values.token as string | undefined;
    const user = values.user as string | undefined;
    if (!token === !user) throw new UsageError('give exactly one of --token or --user');
    return { filter: { ...workspaceFilter(values), ...(token ? { token } : { user_id: user }) } };
  },
  run: async (model, { filter }, out) => {
    const docs = await model.find(filter).sort({ _id: 1 }).limit(10_000).lean<TokenDocument[]>().exec();
    for (const doc of docs) out.stdout(JSON.stringify(record(doc)));
    out.stderr(`${docs.length} token(s)`);
  },
});

const revoke = command({
  parse: (values) => ({
    workspace: required(values, 'workspace'),
    token: required(values, 'token'),
    reason: typeof values.reason === 'string' ? values.reason : 'admin',
  }),
  run: async (model, { workspace, token, reason }, out) => {
    const result = await model
      .updateOne(
        { workspace_id: workspace, token },
        { $set: { status: 'revoked', status_reason: reason, updated_at: new Date() }, $inc: { revision: 1 } },
      )
      .exec();
    if (result.matchedCount === 0) throw new Error(`no token ${maskSecret(token)} in workspace ${workspace}`);
    out.stdout(`revoked ${maskSecret(token)} in ${workspace} (reason: ${reason})`);
  },
});

const purge = command({
  parse: (values) => {
    const status = required(values, 'status') as TokenStatus;
    if (!TOKEN_STATUSES.includes(status)) throw new UsageError(`--status must be one of ${TOKEN_STATUSES.join(', ')}`);
    const olderThan = parseDuration(required(values, 'older-than'));
    if (!olderThan) throw new UsageError('--older-than must be a number and a unit, e.g. 30d');
    const batch = values.batch === undefined ? 1000 : Number(values.batch);
    if (!Number.isInteger(batch) || batch < 1 || batch > 100_000) throw new UsageError('--batch must be a whole number from 1 to 100000');
    return { status, olderThanMs: durationToMs(olderThan), batch, yes: values.yes === true, match: workspaceFilter(values) };
  },
  run: async (model, { status, olderThanMs, batch, yes, match }, out) => {
    const cutoff = new Date(Date.now() - olderThanMs);
    const filter = { status, updated_at: { $lt: cutoff }, ...match };
    const total = await model.countDocuments(filter);
    const what = `${total} token(s) with status ${status} not updated since ${cutoff.toISOString()}`;
    if (!yes) {
      out.stdout(`dry run: would delete ${what}. Run again with --yes to delete.`);
      return;
    }
    let deleted = 0;
    for (;;) {
      const ids = (await model.find(filter, { _id: 1 }).limit(batch).lean<Pick<TokenDocument, '_id'>[]>().exec()).map((d) => d._id);
      if (ids.length === 0) break;
      // The filter is repeated so a token re-registered meanwhile (now active) is never deleted.
      deleted += (await model.deleteMany({ _id: { $in: ids }, ...filter }).exec()).deletedCount;
      out.stderr(`deleted ${deleted}/${total}`);
    }
    out.stdout(`deleted ${deleted} of ${what}`);
  },
});

const EXPORT_FORMATS = ['tokens-ndjson', 'tokens-csv'] as const;

const exportTokens = command({
  parse: (values) => {
    const format = (values.format ?? 'tokens-ndjson') as string;
    if (!(EXPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be ${EXPORT_FORMATS.join(' or ')}`);
    const status = values.status;
    if (status !== undefined && !(TOKEN_STATUSES as readonly unknown[]).includes(status)) throw new UsageError(`--status must be one of ${TOKEN_STATUSES.join(', ')}`);
    const provider = values.provider;
    if (provider !== undefined && !(PROVIDER_KEYS as readonly unknown[]).includes(provider)) throw new UsageError(`--provider must be one of ${PROVIDER_KEYS.join(', ')}`);
    const filter: Record<string, string> = {
      workspace_id: required(values, 'workspace'),
      ...(typeof values.user === 'string' ? { user_id: values.user } : {}),
      ...(typeof provider === 'string' ? { provider_key: provider } : {}),
      ...(typeof status === 'string' ? { status } : {}),
    };
    return { filter, csv: format === 'tokens-csv' };
  },
  run: async (model, { filter, csv }, out) => {
    let count = 0;
    if (csv) await out.stdout(TOKEN_CSV_COLUMNS.join(','));
    for await (const doc of model.collection.find(filter).sort({ _id: 1 })) {
      // Awaited: a consumer reading slowly (a pipe) holds the export back instead of losing lines.
      await out.stdout(csv ? tokenCsvCells(toTokenView(doc as TokenDocument)).map(csvCell).join(',') : JSON.stringify(record(doc as TokenDocument)));
      count++;
    }
    out.stderr(`exported ${count} token(s)`);
  },
});

type StoreTask = (store: CredentialStore, out: Out) => Promise<void>;

/** Validates through the same schema the API uses, so the CLI can't store what the API would refuse. */
function validated<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new UsageError(issuesToProblems(parsed.error.issues).map((p) => `${p.path}: ${p.message}`).join('; '));
  return parsed.data;
}

function readFileArg(values: Record<string, unknown>, name: string): string {
  const file = required(values, name);
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--${name} ${file} can't be read: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** The CLI lists every credential and app, a page of this many at a time. */
const CLI_PAGE = 500;

function credentialTask(action: string, values: Record<string, unknown>): StoreTask {
  if (action === 'list') {
    const workspace = required(values, 'workspace');
    return async (store, out) => {
      for (let page = await store.listCredentials(workspace, { limit: CLI_PAGE }); page.length > 0; page = await store.listCredentials(workspace, { limit: CLI_PAGE, after: page.at(-1)!.credential_id })) {
        for (const c of page) out.stdout(JSON.stringify(c));
      }
    };
  }
  if (action === 'rekey') {
    return async (store, out) => {
      const { rekeyed, unreadable } = await store.rekey();
      out.stdout(`re-encrypted ${rekeyed} credential(s) under the first key of CREDENTIALS_KEYS`);
      if (unreadable.length > 0) throw new Error(`no configured key decrypts: ${unreadable.join(', ')}`);
    };
  }
  const workspace = required(values, 'workspace');
  const id = validated(credentialId, required(values, 'id'));
  if (action === 'delete') return async (store, out) => (await store.deleteCredential(workspace, id), out.stdout(`deleted credential ${id}`));
  if (action !== 'put') throw new UsageError('credentials needs list, put, delete, rekey, new-key or new-vapid');
  // The provider is the one whose selecting flag is given (--apn-key-file, --service-account-file, --expo, --onesignal-app-id…).
  const module = PROVIDER_MODULES.find((m) => values[m.cli.selects] !== undefined);
  if (!module) throw new UsageError(`credentials put needs one of ${PROVIDER_MODULES.map((m) => `--${m.cli.selects}`).join(', ')}`);
  let body: Record<string, unknown>;
  try {
    body = module.cli.body(values as Record<string, string | boolean | undefined>, (flag) => readFileArg(values, flag));
  } catch (error) {
    throw error instanceof UsageError ? error : new UsageError((error as Error).message);
  }
  const input: CredentialInput = validated(credentialBody, body);
  return async (store, out) => {
    const { created, credential } = await store.putCredential(workspace, id, input);
    out.stdout(JSON.stringify(credential));
    out.stderr(created ? `created credential ${id}` : `replaced credential ${id}`);
  };
}

function appTask(action: string, values: Record<string, unknown>): StoreTask {
  const workspace = required(values, 'workspace');
  if (action === 'list') {
    return async (store, out) => {
      for (let page = await store.listApps(workspace, { limit: CLI_PAGE }); page.length > 0; page = await store.listApps(workspace, { limit: CLI_PAGE, after: page.at(-1)!.app_id })) {
        for (const a of page) out.stdout(JSON.stringify(a));
      }
    };
  }
  const id = validated(appId, required(values, 'id'));
  if (action === 'delete') return async (store, out) => (await store.deleteApp(workspace, id), out.stdout(`deleted app ${id}`));
  if (action !== 'put') throw new UsageError('apps needs list, put or delete');
  const flags = values as Record<string, string | boolean | undefined>;
  const input = validated(
    appBody,
    Object.fromEntries(
      PROVIDER_MODULES.flatMap(({ key, cli }) => {
        const credential = flags[cli.appFlag];
        if (typeof credential !== 'string') return [];
        return [[key, cli.appRef ? cli.appRef(credential, flags) : { credential_id: credential }]];
      }),
    ),
  );
  return async (store, out) => {
    const { app } = await store.putApp(workspace, id, input);
    out.stdout(JSON.stringify(app));
  };
}

const DATABASE_COMMANDS: Record<string, Command<unknown>> = { stats, find, revoke, purge, export: exportTokens };

function keys(config: AdminConfig, positionals: string[], values: Record<string, unknown>, out: Out): void {
  const action = positionals[0];
  if (action === 'list') {
    if (!config.apiKeysText) throw new Error('API_KEYS is not set');
    const parsed = parseApiKeys(config.apiKeysText);
    if ('problems' in parsed) throw new Error(`API_KEYS is invalid: ${parsed.problems.join('; ')}`);
    for (const key of parsed.keys) out.stdout(`${key.workspaceId}  ${maskSecret(key.key)}  ${key.scopes.join('+')}`);
    return;
  }
  if (action === 'create') {
    const workspace = required(values, 'workspace');
    const scopes = typeof values.scopes === 'string' ? values.scopes : undefined;
    if (scopes && scopes.split('+').some((s) => !(SCOPES as readonly string[]).includes(s))) {
      throw new UsageError(`--scopes must be some of ${SCOPES.join(', ')} joined by +`);
    }
    const key = `sk_${randomBytes(24).toString('base64url').replace(/[^A-Za-z0-9]/g, '')}`;
    out.stdout(`${workspace}:${key}${scopes ? `=${scopes}` : ''}`);
    out.stderr('Add this entry to API_KEYS (comma-separated) and restart the service; it is not shown again.');
    return;
  }
  if (action === 'revoke') {
    out.stdout('Remove the key\'s entry from API_KEYS and restart (or roll) the service; see docs/operations.md, "Key rotation".');
    return;
  }
  throw new UsageError('keys needs list, create or revoke');
}

/** Runs `work` on the database the service uses (MONGODB_URI, or the running embedded one), then closes it. */
async function withDatabase<T>(config: AdminConfig, work: (database: Database) => Promise<T>): Promise<T> {
  const database = await connectMongo(databaseUri(config), config.mongodbTimeoutMs, createLogger('silent'));
  try {
    return await work(database);
  } finally {
    await database.connection.close();
  }
}

/**
 * One receipt pass, through the service's own composition (createServices): the same clients,
 * the same guard and the same exactly-once rule as the checker the service runs on an interval.
 * Only instance-wide Expo is loaded: the receipts need no other provider.
 */
async function checkReceipts(config: AdminConfig): Promise<ReceiptPassReport> {
  const providers = ProviderRegistry.fromConfig({ apns: undefined, fcm: undefined, expo: config.expo });
  try {
    return await withDatabase(config, async (database) => {
      const services = createServices({
        database,
        providers,
        config,
        credentialsBox: credentialsBoxFromConfig(config),
        logger: createLogger('warn'),
        metrics: new Metrics(),
        draining: () => false,
      });
      try {
        return await services.receipts.runOnce();
      } finally {
        await services.stop();
      }
    });
  } finally {
    await providers.close();
  }
}

const SPECS: Record<string, Record<string, { type: 'string' | 'boolean' }>> = {
  stats: { workspace: { type: 'string' } },
  find: { token: { type: 'string' }, user: { type: 'string' }, workspace: { type: 'string' } },
  revoke: { workspace: { type: 'string' }, token: { type: 'string' }, reason: { type: 'string' } },
  purge: { status: { type: 'string' }, 'older-than': { type: 'string' }, workspace: { type: 'string' }, yes: { type: 'boolean' }, batch: { type: 'string' } },
  export: { workspace: { type: 'string' }, user: { type: 'string' }, provider: { type: 'string' }, status: { type: 'string' }, format: { type: 'string' } },
  import: {
    workspace: { type: 'string' }, format: { type: 'string' }, 'dry-run': { type: 'boolean' }, resume: { type: 'boolean' }, json: { type: 'boolean' }, batch: { type: 'string' },
    'anonymous-prefix': { type: 'string' }, 'skip-anonymous': { type: 'boolean' }, 'skip-invalid': { type: 'boolean' },
  },
  keys: { workspace: { type: 'string' }, scopes: { type: 'string' } },
  'signing-keys': { alg: { type: 'string' } },
  receipts: {},
  credentials: Object.assign({ workspace: { type: 'string' }, id: { type: 'string' } }, ...PROVIDER_MODULES.map((m) => m.cli.options)),
  apps: Object.assign(
    { workspace: { type: 'string' }, id: { type: 'string' } },
    ...PROVIDER_MODULES.map((m) => ({ [m.cli.appFlag]: { type: 'string' as const }, ...m.cli.appOptions })),
  ),
};

export async function runAdmin(argv: string[], out: Out, config: AdminConfig = loadAdminConfig()): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === 'help') {
    out.stdout(USAGE);
    return command ? 0 : 2;
  }
  const spec = SPECS[command];
  if (!spec) throw new UsageError(`unknown command "${command}"; see --help`);
  const values = options(rest, spec);
  if (values.help) {
    out.stdout(`usage: npm run admin -- ${HELP[command]}`);
    return 0;
  }
  if (command === 'signing-keys') {
    const action = rest.find((a) => !a.startsWith('--'));
    if (action !== 'create') throw new UsageError('signing-keys needs create');
    const alg = (values.alg ?? 'ES256') as string;
    if (alg !== 'ES256' && alg !== 'EdDSA') throw new UsageError('--alg must be ES256 or EdDSA');
    out.stdout(JSON.stringify(await newSigningJwk(alg)));
    out.stderr('A private key: keep it secret. Add it to the "keys" of USER_TOKEN_SIGNING_KEYS_FILE (first, to sign with it) on every replica.');
    return 0;
  }
  if (command === 'keys') {
    keys(config, rest.filter((a) => !a.startsWith('--')).slice(0, 1), values, out);
    return 0;
  }
  if (command === 'credentials' || command === 'apps') {
    const action = rest.find((a) => !a.startsWith('--')) ?? '';
    if (command === 'credentials' && action === 'new-vapid') {
      const pair = generateVapidKeys();
      out.stdout(`WEBPUSH_VAPID_PUBLIC_KEY=${pair.publicKey}\nWEBPUSH_VAPID_PRIVATE_KEY=${pair.privateKey}`);
      out.stderr('The private key is a secret. Use the pair instance-wide (with WEBPUSH_SUBJECT=mailto:you@example.com), or for one app: PUT /credentials/:id {"provider_key": "webpush", "vapid_public_key", "vapid_private_key", "subject"}. Pages subscribe with the public key; changing it later orphans every subscription.');
      return 0;
    }
    if (command === 'credentials' && action === 'new-key') {
      out.stdout(SecretBox.newKeyEntry(required(values, 'key-id')));
      out.stderr('Put this entry FIRST in CREDENTIALS_KEYS on every replica, restart them, then run: npm run admin -- credentials rekey');
      return 0;
    }
    const task = command === 'credentials' ? credentialTask(action, values) : appTask(action, values);
    const box = credentialsBoxFromConfig(config);
    await withDatabase(config, ({ db }) => task(new CredentialStore(db, box, config.workspaceLimits), out));
    return 0;
  }
  if (command === 'import') {
    armCrashPoint(config.crashPoint);
    await importCommand(config, rest, values, out);
    return 0;
  }
  if (command === 'receipts') {
    if (rest.find((a) => !a.startsWith('--')) !== 'check') throw new UsageError('receipts needs check');
    out.stdout(JSON.stringify(await checkReceipts(config)));
    return 0;
  }
  const { parse, run } = DATABASE_COMMANDS[command]!;
  const args = parse(values);
  await withDatabase(config, ({ connection }) => run(tokenModel(connection), args, out));
  return 0;
}

/**
 * `import`: FILE (or - for stdin) into one workspace (src/cli/import). The report goes to stdout
 * (JSON with --json), progress to stderr.
 */
async function importCommand(config: AdminConfig, args: string[], values: Record<string, unknown>, out: Out): Promise<void> {
  const workspaceId = required(values, 'workspace');
  const format = required(values, 'format');
  if (!(IMPORT_FORMATS as readonly string[]).includes(format)) throw new UsageError(`--format must be one of ${IMPORT_FORMATS.join(', ')}`);
  const positionals = parseArgs({ args, options: { ...SPECS.import, help: { type: 'boolean' } }, strict: true, allowPositionals: true }).positionals;
  if (positionals.length !== 1) throw new UsageError('import takes one FILE, or - for stdin');
  const file = positionals[0]!;
  if (file !== '-' && !existsSync(file)) throw new UsageError(`no file ${file}`);
  const batchSize = values.batch === undefined ? 1000 : Number(values.batch);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) throw new UsageError('--batch must be a whole number from 1 to 10000');
  if (values['dry-run'] === true && values.resume === true) throw new UsageError('--dry-run keeps no checkpoint, so it can not --resume: run the dry run again whole');
  const report = await withDatabase(config, async ({ db, connection }) => {
    const model = tokenModel(connection);
    const budget = new UserTokenBudget(model, new UserTokenCounts(db), config.userLimits);
    const totalBytes = file === '-' ? undefined : statSync(file).size;
    const progress = progressReporter({ totalBytes, terminal: out.stderrIsTerminal ?? false, quiet: false, write: out.stderr });
    try {
      return await runImport(
        db,
        new TokenImporter(model, { defaultTtl: config.defaultTokenTtl, budget }),
        { file, stdin: out.stdin ?? process.stdin },
        {
          workspaceId,
          format: format as ImportFormat,
          dryRun: values['dry-run'] === true,
          resume: values.resume === true,
          batchSize,
          anonymousPrefix: typeof values['anonymous-prefix'] === 'string' ? values['anonymous-prefix'] : 'anonymous:',
          skipAnonymous: values['skip-anonymous'] === true,
          skipInvalid: values['skip-invalid'] === true,
        },
        { endpoints: config.delivery.webpush.endpoints, now: () => new Date(), progress },
      );
    } catch (error) {
      if (error instanceof ImportUsageError) throw new UsageError(error.message);
      throw error;
    } finally {
      progress.stop();
    }
  });
  await out.stdout(values.json === true ? JSON.stringify(report) : reportText(report));
}

if (require.main === module) {
  const out: Out = {
    // Back-pressure: a line waits for a pipe that is full, rather than queueing without end.
    stdout: (text) => (process.stdout.write(`${text}\n`) ? undefined : new Promise<void>((resolve) => process.stdout.once('drain', () => resolve()))),
    stderr: (text) => process.stderr.write(`${text}\n`),
    stdin: process.stdin,
    stderrIsTerminal: process.stderr.isTTY === true,
  };
  // A reader that went away (EPIPE) ends the command: its lines have nowhere to go.
  process.stdout.on('error', () => process.exit(1));
  // Exits only once stdout has taken every line: process.exit() with writes still queued to a
  // pipe dropped most of a large export (`admin export | admin import -`).
  const exit = (code: number) => process.stdout.write('', () => process.exit(code));
  runAdmin(process.argv.slice(2), out).then(exit, (error: unknown) => {
    out.stderr(`admin: ${(error as Error).message.split('\n')[0]}`);
    exit(error instanceof UsageError ? 2 : 1);
  });
}
