import { Writable } from 'node:stream';
import { checkRow, type Mapped } from '../../src/cli/import/import-row';
import { JsonRecordSplitter } from '../../src/cli/import/json-records';
import { mapOneSignalRow, ONESIGNAL_DEVICE_TYPES } from '../../src/cli/import/onesignal-csv';
import { mapParseInstallation } from '../../src/cli/import/parse-installations';
import { progressReporter } from '../../src/cli/import/progress';
import { csvCell, mapTokenCsvRow, mapTokenRecord, TOKEN_CSV_COLUMNS, tokenCsvCells } from '../../src/cli/import/token-records';

/** Each format's row mapping, as pure functions (src/cli/import), row by row. */
const people = { anonymousPrefix: 'anon:', skipAnonymous: false, skipInvalid: false };
const os = (row: Record<string, string>, options = people) => mapOneSignalRow({ id: 'p1', identifier: 'tok', device_type: '1', ...row }, options);
const now = new Date('2026-12-06T12:00:00Z');

describe('OneSignal device_type', () => {
  it.each([
    ['0', 'apn', 'ios'],
    ['1', 'firebase-fcm', 'android'],
    ['5', 'webpush', 'web'],
    ['8', 'webpush', 'web'],
  ])('%s is %s on %s', (type, provider, platform) => {
    const mapped = os({ device_type: type, external_user_id: 'u' });
    expect(mapped).toMatchObject({ kind: 'token', body: { provider_key: provider, device: { platform } } });
  });

  it.each([
    ['2', 'amazon'], ['3', 'windows_phone'], ['4', 'chrome_app'], ['6', 'windows'], ['7', 'safari_legacy'], ['9', 'macos'], ['10', 'alexa'], ['11', 'email'], ['13', 'huawei'], ['14', 'sms'], ['99', 'device_type 99'], ['', 'device_type (none)'],
  ])('%s is skipped as %s', (type, reason) => {
    expect(os({ device_type: type })).toEqual({ kind: 'skip', reason });
  });

  it('every device type OneSignal documents is in the table', () => {
    expect(Object.keys(ONESIGNAL_DEVICE_TYPES).sort((a, b) => Number(a) - Number(b))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '13', '14']);
  });
});

describe('OneSignal fields', () => {
  it.each<[string, Record<string, string>, typeof people | undefined, Partial<Mapped> | Record<string, unknown>]>([
    ['the external user id is the user', { external_user_id: ' alice ' }, undefined, { user_id: 'alice' }],
    ['no external user id: keyed by the OneSignal id under the prefix', {}, undefined, { user_id: 'anon:p1' }],
    ['--skip-anonymous', {}, { ...people, skipAnonymous: true }, { kind: 'skip', reason: 'anonymous' }],
    ['invalid_identifier t: failed, with a reason', { invalid_identifier: 't', external_user_id: 'u' }, undefined, { state: { status: 'failed', status_reason: 'onesignal:invalid_identifier (imported)' } }],
    ['--skip-invalid', { invalid_identifier: 't' }, { ...people, skipInvalid: true }, { kind: 'skip', reason: 'invalid' }],
    ['no identifier: skipped', { identifier: '' }, undefined, { kind: 'skip', reason: 'no_token' }],
    ['tags into properties, the OneSignal fields beside them', { tags: '{"plan":"pro"}', language: 'en', timezone: '3600' }, undefined, { body: expect.objectContaining({ properties: { plan: 'pro', onesignal: { player_id: 'p1', language: 'en', timezone: '3600' } } }) }],
    ['tags that are not a JSON object: a bad row naming tags', { tags: '[1,2]' }, undefined, { kind: 'bad', problems: [{ path: 'tags', message: 'is not a JSON object' }] }],
    ['device_model, game_version, device_os, ad_id', { device_model: 'Pixel', game_version: '42', device_os: '14', ad_id: 'ad-1' }, undefined, { body: expect.objectContaining({ device: { platform: 'android', model: 'Pixel', app_version: '42', ad_id: 'ad-1' }, tracking: { os_version: '14' } }) }],
    ['an OptedOut ad_id is none', { ad_id: 'OptedOut' }, undefined, { body: expect.objectContaining({ device: { platform: 'android' } }) }],
    ['web push keys from web_p256 and web_auth', { device_type: '5', identifier: 'https://fcm.googleapis.com/x', web_p256: 'P', web_auth: 'A' }, undefined, { body: expect.objectContaining({ keys: { p256dh: 'P', auth: 'A' } }) }],
  ])('%s', (_name, row, options, expected) => {
    expect(os(row, options ?? people)).toMatchObject(expected);
  });
});

describe('Parse installations', () => {
  const parse = (doc: Record<string, unknown>) => mapParseInstallation({ installationId: 'i1', deviceToken: 'AB12', ...doc }, { anonymousPrefix: 'anon:', skipAnonymous: false });
  it.each<[string, Record<string, unknown>, Record<string, unknown>]>([
    ['iOS: APNs, the hex token lower-cased', { deviceType: 'ios' }, { body: expect.objectContaining({ provider_key: 'apn' }), token: 'ab12' }],
    ['tvOS: APNs', { deviceType: 'tvos' }, { body: expect.objectContaining({ provider_key: 'apn', device: expect.objectContaining({ platform: 'tvos' }) }) }],
    ['macOS (osx): APNs on macos', { deviceType: 'osx' }, { body: expect.objectContaining({ device: expect.objectContaining({ platform: 'macos' }) }) }],
    ['Android with GCM: FCM', { deviceType: 'android', pushType: 'gcm' }, { body: expect.objectContaining({ provider_key: 'firebase-fcm' }), token: 'AB12' }],
    ['Android with FCM: FCM', { deviceType: 'android', pushType: 'fcm' }, { body: expect.objectContaining({ provider_key: 'firebase-fcm' }) }],
    ['Android without a push type: FCM', { deviceType: 'android' }, { body: expect.objectContaining({ provider_key: 'firebase-fcm' }) }],
    ['Android on another push service: skipped', { deviceType: 'android', pushType: 'ppns' }, { kind: 'skip', reason: 'pushType ppns' }],
    ['Windows: skipped', { deviceType: 'win' }, { kind: 'skip', reason: 'deviceType win' }],
    ['no token: skipped', { deviceType: 'ios', deviceToken: '' }, { kind: 'skip', reason: 'no_token' }],
    ['user as a pointer', { deviceType: 'ios', user: { __type: 'Pointer', className: '_User', objectId: 'u9' } }, { user_id: 'u9' }],
    ['user as an id', { deviceType: 'ios', user: 'u8' }, { user_id: 'u8' }],
    ['no user: the installation under the prefix', { deviceType: 'ios' }, { user_id: 'anon:i1' }],
    ['app id, device id and version on the device', { deviceType: 'ios', appIdentifier: 'com.x', appVersion: '1.0' }, { body: expect.objectContaining({ device: { app_id: 'com.x', device_id: 'i1', platform: 'ios', app_version: '1.0' } }) }],
  ])('%s', (_name, doc, expected) => {
    expect(parse(doc)).toMatchObject(expected);
  });
});

describe('our own shapes', () => {
  it('an export line: state kept, export-only fields ignored, unknown fields named', () => {
    expect(mapTokenRecord({ id: 'x', workspace_id: 'w', user_id: 'u', token: 't', provider_key: 'apn', status: 'revoked', status_reason: 'replaced', created_at: '2026-01-01T00:00:00.000Z' })).toEqual({
      kind: 'token', user_id: 'u', token: 't', body: { provider_key: 'apn' }, state: { status: 'revoked', status_reason: 'replaced', created_at: '2026-01-01T00:00:00.000Z' },
    });
    expect(mapTokenRecord({ user_id: 'u', token: 't', provider_key: 'apn', colour: 'red' })).toEqual({ kind: 'bad', problems: [{ path: 'colour', message: 'is not a known field' }] });
  });

  it('a CSV export row reads back as the same token', () => {
    const view = { user_id: 'u,1', token: 'https://fcm.googleapis.com/x', provider_key: 'webpush', status: 'active', status_reason: null, properties: { a: '"quoted"' }, device: { platform: 'web' }, tracking: null, expiry_date: false as const, keys: { p256dh: 'P', auth: 'A' } };
    const cells = tokenCsvCells(view);
    expect(cells).toHaveLength(TOKEN_CSV_COLUMNS.length);
    const row = Object.fromEntries(TOKEN_CSV_COLUMNS.map((column, i) => [column, cells[i]!]));
    expect(mapTokenCsvRow(row)).toMatchObject({ kind: 'token', user_id: 'u,1', body: { provider_key: 'webpush', properties: { a: '"quoted"' }, device: { platform: 'web' }, keys: { p256dh: 'P', auth: 'A' }, expiry_date: false }, state: { status: 'active' } });
    expect(csvCell('a,"b"')).toBe('"a,""b"""');
  });

  it.each([
    ['an expiry already past: skipped as expired', { user_id: 'u', token: 'fcm:APA91b', provider_key: 'firebase-fcm', expiry_date: '2026-01-01T00:00:00Z' }, { kind: 'skip', reason: 'expired' }],
    ['an unknown status: a bad row naming status', { user_id: 'u', token: 'fcm:APA91b', provider_key: 'firebase-fcm', status: 'gone' }, { kind: 'bad', problems: [{ path: 'status', message: expect.any(String) }] }],
    ['a time that is not one: a bad row naming it', { user_id: 'u', token: 'fcm:APA91b', provider_key: 'firebase-fcm', created_at: 'yesterday' }, { kind: 'bad', problems: [{ path: 'created_at', message: expect.any(String) }] }],
    ['live_activity on a non-APNs token, as the API refuses it', { user_id: 'u', token: 'fcm:APA91b', provider_key: 'firebase-fcm', live_activity: { kind: 'push_to_start', attributes_type: 'A' } }, { kind: 'bad', problems: [{ path: 'live_activity', message: expect.any(String) }] }],
  ])('%s', (_name, record, expected) => {
    expect(checkRow(mapTokenRecord(record), undefined, now)).toMatchObject(expected);
  });
});

describe('JSON records, streamed', () => {
  const all = (chunks: string[]) => {
    const splitter = new JsonRecordSplitter();
    return [...chunks.flatMap((c) => splitter.push(c)), ...splitter.end()];
  };
  it.each([
    ['a JSON array', ['[{"a":1},\n{"a":"}{"}]'], [{ line: 1, value: { a: 1 } }, { line: 2, value: { a: '}{' } }]],
    ['a {"results": [...]} export', ['{"results": [\n {"a": {"b": [1]}},\n {"a": 2}\n]}'], [{ line: 2, value: { a: { b: [1] } } }, { line: 3, value: { a: 2 } }]],
    ['NDJSON', ['{"a":1}\n{"a":2}\n'], [{ line: 1, value: { a: 1 } }, { line: 2, value: { a: 2 } }]],
    ['cut anywhere, even inside a string or the wrapper', ['{"res', 'ults": [{"a":"x\\"', '}"}', ']}'], [{ line: 1, value: { a: 'x"}' } }]],
  ])('%s', (_name, chunks, expected) => {
    expect(all(chunks)).toEqual(expected);
  });

  it('an object cut off by the end of the input is a bad record', () => {
    expect(all(['[{"a":1},{"a":'])).toEqual([{ line: 1, value: { a: 1 } }, { line: 1, error: 'the input ends inside this object' }]);
  });
});

describe('progress', () => {
  it('not on a terminal: a plain line, at the end at least', () => {
    const lines: string[] = [];
    const progress = progressReporter({ totalBytes: 1000, terminal: false, quiet: false, write: (line) => lines.push(line) });
    progress.update(500, 10);
    progress.stop();
    expect(lines.at(-1)).toMatch(/^importing: 10 rows, \d+ rows\/s, 50% of the file$/);
  });

  it('on a terminal: cli-progress’s bar, with rows, rows per second and an ETA', () => {
    let text = '';
    const stream = Object.assign(new Writable({ write: (chunk, _e, done) => ((text += chunk.toString()), done()) }), { isTTY: true, columns: 120, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    const progress = progressReporter({ totalBytes: 1000, terminal: true, quiet: false, write: () => {}, stream });
    progress.update(250, 42);
    progress.stop();
    expect(text).toMatch(/importing \[.*\] 25% \| 42 rows \| \d+ rows\/s \| ETA/);
  });
});
