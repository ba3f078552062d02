import { api, enc } from '../api';
import { focusOn, h, notice, replace, showFormErrors, when } from '../dom';
import type { Context } from '../context';

type Credential = {
  credential_id: string;
  provider_key: string;
  team_id?: string;
  key_id?: string;
  environments?: string[];
  project_id?: string;
  client_email?: string;
  app_id?: string;
  has_access_token?: boolean;
  vapid_public_key?: string;
  subject?: string;
  key_sha256: string;
  revision: number;
  updated_at: string;
};
type App = { app_id: string; apn?: { credential_id: string; topic?: string; environment: string }; revision: number; updated_at: string } & Partial<Record<'firebase-fcm' | 'expo' | 'onesignal' | 'webpush', { credential_id: string }>>;

const PROVIDERS = ['apn', 'firebase-fcm', 'expo', 'onesignal', 'webpush'] as const;

/** Credentials (fingerprints only: secrets are write-only) and which credential each app uses. `saved`: what was just saved, said where focus lands. */
export async function appsView(ctx: Context, main: HTMLElement, saved?: string): Promise<void> {
  replace(main, h('h1', {}, 'Apps & credentials'), notice('loading', 'Loading…'));
  let credentials: Credential[];
  let apps: App[];
  try {
    [{ credentials }, { apps }] = await Promise.all([api<{ credentials: Credential[] }>('GET', '/credentials'), api<{ apps: App[] }>('GET', '/apps')]);
  } catch (error) {
    return replace(main, h('h1', {}, 'Apps & credentials'), notice('error', `Could not load them: ${(error as Error).message}`));
  }
  const reload = (what: string) => void appsView(ctx, main, what);
  const status = h('p', { role: 'status', class: 'form-message' }, saved ?? '');
  replace(
    main,
    h('h1', {}, 'Apps & credentials'),
    status,
    h('section', {}, h('h2', {}, 'Credentials'), credentials.length === 0 ? notice('empty', 'No credentials yet: tokens go through the instance-wide APNS_*, FCM_*, EXPO_*, ONESIGNAL_* and WEBPUSH_VAPID_* settings, if any.') : credentialTable(credentials)),
    ctx.can('apps:write') ? credentialForm(reload) : null,
    h('section', {}, h('h2', {}, 'Apps'), apps.length === 0 ? notice('empty', 'No apps yet. An app maps the app_id tokens carry to the credential of each provider.') : appTable(apps)),
    ctx.can('apps:write') ? appForm(credentials, reload) : null,
  );
  // After a save the page is rebuilt: focus goes to the line that says what was saved.
  if (saved) focusOn(status);
}

/** Which credential-form field an API error path belongs to. */
function credentialField(path: string): string | undefined {
  if (path === 'credential_id') return 'cred-id';
  if (path === 'provider_key') return 'cred-provider';
  if (path === 'team_id') return 'cred-team';
  if (path === 'key_id') return 'cred-key-id';
  if (path === 'key' || path.startsWith('service_account')) return 'cred-file';
  if (path === 'app_id') return 'cred-app-id';
  if (path === 'api_key' || path === 'access_token' || path === 'vapid_private_key') return 'cred-secret';
  if (path === 'vapid_public_key') return 'cred-vapid-public';
  if (path === 'subject') return 'cred-subject';
  return undefined;
}

/** Which app-form field an API error path belongs to. */
function appField(path: string): string | undefined {
  if (path === 'app_id') return 'app-id';
  if (path === 'apn.environment') return 'app-environment';
  if (path === 'apn.topic') return 'app-topic';
  const provider = PROVIDERS.find((p) => path === p || path.startsWith(`${p}.`));
  return provider ? `app-${provider}` : undefined;
}

function fingerprint(c: Credential): string {
  const parts = [
    c.team_id && `team ${c.team_id}`,
    c.key_id && `key ${c.key_id}`,
    c.environments && c.environments.join('+'),
    c.project_id && `project ${c.project_id}`,
    c.client_email,
    c.app_id && `app ${c.app_id}`,
    c.has_access_token !== undefined && (c.has_access_token ? 'access token set' : 'no access token'),
    c.vapid_public_key && `VAPID ${c.vapid_public_key.slice(0, 12)}…`,
    c.subject,
  ];
  return parts.filter(Boolean).join(' · ');
}

function credentialTable(credentials: Credential[]): HTMLElement {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      {},
      h('thead', {}, h('tr', {}, ['Credential', 'Provider', 'Identifies', 'Key SHA-256', 'Revision', 'Updated'].map((c) => h('th', { scope: 'col' }, c)))),
      h(
        'tbody',
        {},
        credentials.map((c) =>
          h('tr', {}, h('th', { scope: 'row' }, c.credential_id), h('td', {}, c.provider_key), h('td', { class: 'wrap' }, fingerprint(c)), h('td', {}, h('code', { title: c.key_sha256 }, `${c.key_sha256.slice(0, 12)}…`)), h('td', { class: 'num' }, c.revision), h('td', {}, when(c.updated_at))),
        ),
      ),
    ),
  );
}

function appTable(apps: App[]): HTMLElement {
  const uses = (app: App, p: (typeof PROVIDERS)[number]) => {
    const ref = app[p];
    if (!ref) return '—';
    return p === 'apn' && app.apn ? `${app.apn.credential_id} (${app.apn.environment}${app.apn.topic ? `, topic ${app.apn.topic}` : ''})` : ref.credential_id;
  };
  return h(
    'div',
    { class: 'table-wrap' },
    h('table', {}, h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'App'), PROVIDERS.map((p) => h('th', { scope: 'col' }, p)))), h('tbody', {}, apps.map((a) => h('tr', {}, h('th', { scope: 'row' }, a.app_id), PROVIDERS.map((p) => h('td', {}, uses(a, p))))))),
  );
}

function field(id: string, label: string, input: HTMLElement, hint?: string): HTMLElement {
  return h('div', { class: 'field' }, h('label', { for: id }, label), input, hint ? h('p', { class: 'muted small' }, hint) : null);
}

/** Add a credential, or rotate one by putting the same id again; key files are read in the browser and sent once. */
function credentialForm(reload: (saved: string) => void): HTMLElement {
  const id = h('input', { id: 'cred-id', required: true, pattern: '[A-Za-z0-9._\\-]{1,64}', autocomplete: 'off' });
  const provider = h('select', { id: 'cred-provider' }, PROVIDERS.map((p) => h('option', { value: p }, p)));
  const teamId = h('input', { id: 'cred-team', autocomplete: 'off' });
  const keyId = h('input', { id: 'cred-key-id', autocomplete: 'off' });
  const file = h('input', { id: 'cred-file', type: 'file', accept: '.p8,.json,application/json' });
  const appId = h('input', { id: 'cred-app-id', autocomplete: 'off' });
  const secret = h('input', { id: 'cred-secret', type: 'password', autocomplete: 'off' });
  const vapidPublic = h('input', { id: 'cred-vapid-public', autocomplete: 'off' });
  const subject = h('input', { id: 'cred-subject', autocomplete: 'off', placeholder: 'mailto:ops@example.com' });
  const message = h('p', { role: 'status', class: 'form-message' });
  const groups = {
    apn: [field('cred-team', 'Team ID', teamId), field('cred-key-id', 'Key ID', keyId), field('cred-file', '.p8 key file', file)],
    'firebase-fcm': [field('cred-file', 'Service account JSON file', file)],
    expo: [field('cred-secret', 'Access token (optional)', secret, 'Only for projects with enhanced push security.')],
    onesignal: [field('cred-app-id', 'OneSignal app ID', appId), field('cred-secret', 'App API key', secret)],
    webpush: [
      field('cred-vapid-public', 'VAPID public key', vapidPublic, 'npm run admin -- credentials new-vapid makes a pair. Pages subscribe with this key.'),
      field('cred-secret', 'VAPID private key', secret),
      field('cred-subject', 'Subject', subject, 'A mailto: or https: URL push services can reach you at.'),
    ],
  };
  const fields = h('div', {});
  const show = () => replace(fields, groups[provider.value as keyof typeof groups]);
  provider.addEventListener('change', show);
  show();
  async function submit(event: Event) {
    event.preventDefault();
    message.textContent = 'Saving…';
    try {
      const p = provider.value;
      const text = file.files?.[0] ? await file.files[0].text() : '';
      const body =
        p === 'apn'
          ? { provider_key: p, team_id: teamId.value.trim(), key_id: keyId.value.trim(), key: text }
          : p === 'firebase-fcm'
            ? { provider_key: p, service_account: parseJson(text) }
            : p === 'expo'
              ? { provider_key: p, ...(secret.value ? { access_token: secret.value } : {}) }
              : p === 'webpush'
                ? { provider_key: p, vapid_public_key: vapidPublic.value.trim(), vapid_private_key: secret.value.trim(), subject: subject.value.trim() }
                : { provider_key: p, app_id: appId.value.trim(), api_key: secret.value };
      await api('PUT', `/credentials/${enc(id.value.trim())}`, body);
      secret.value = '';
      reload(`Credential ${id.value.trim()} saved.`);
    } catch (error) {
      showFormErrors(form, message, error as Error, credentialField);
    }
  }
  const form = h('form', { onsubmit: (e: Event) => void submit(e) }, field('cred-id', 'Credential ID', id, 'Putting an existing id again rotates it; the next send uses the new key.'), field('cred-provider', 'Provider', provider), fields, message, h('button', { type: 'submit', class: 'primary' }, 'Save credential'));
  return h('details', { class: 'panel' }, h('summary', {}, 'Add or rotate a credential'), form);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('Choose the service account JSON file Firebase gave you.');
  }
}

/** Which credential an app uses, per provider. */
function appForm(credentials: Credential[], reload: (saved: string) => void): HTMLElement {
  const id = h('input', { id: 'app-id', required: true, autocomplete: 'off' });
  const selects = Object.fromEntries(
    PROVIDERS.map((p) => [p, h('select', { id: `app-${p}` }, h('option', { value: '' }, 'none'), credentials.filter((c) => c.provider_key === p).map((c) => h('option', { value: c.credential_id }, c.credential_id)))]),
  ) as Record<(typeof PROVIDERS)[number], HTMLSelectElement>;
  const environment = h('select', { id: 'app-environment' }, ['production', 'sandbox', 'auto'].map((e) => h('option', { value: e }, e)));
  const topic = h('input', { id: 'app-topic', autocomplete: 'off' });
  const message = h('p', { role: 'status', class: 'form-message' });
  async function submit(event: Event) {
    event.preventDefault();
    message.textContent = 'Saving…';
    const body: Record<string, unknown> = {};
    for (const p of PROVIDERS) if (selects[p].value) body[p] = { credential_id: selects[p].value };
    if (body.apn) body.apn = { ...(body.apn as object), environment: environment.value, ...(topic.value.trim() ? { topic: topic.value.trim() } : {}) };
    try {
      await api('PUT', `/apps/${enc(id.value.trim())}`, body);
      reload(`App ${id.value.trim()} saved.`);
    } catch (error) {
      showFormErrors(form, message, error as Error, appField);
    }
  }
  const form = h(
      'form',
      { onsubmit: (e: Event) => void submit(e) },
      field('app-id', 'App ID', id, 'The bundle id or package name tokens carry in device.app_id, or default.'),
      PROVIDERS.map((p) => field(`app-${p}`, `${p} credential`, selects[p])),
      field('app-environment', 'APNs environment', environment),
      field('app-topic', 'APNs topic (optional)', topic, 'Defaults to the app ID.'),
      message,
      h('button', { type: 'submit', class: 'primary' }, 'Save app'),
    );
  return h('details', { class: 'panel' }, h('summary', {}, 'Add or edit an app'), form);
}
