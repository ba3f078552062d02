import { CredentialStore } from '../../src/apps/credential-store';
import { SecretBox } from '../../src/apps/secret-box';
import { PROVIDER_MODULES } from '../../src/providers/catalogue';
import { PROVIDER_KEYS } from '../../src/tokens/token-fields';
import { makeApnsKey } from '../simulators/credentials';
import { openTestDatabase } from '../support/test-db';

/** Issue 23: one module per provider, listed once; stored credentials read the same before and after `settings`. */
it('the catalogue has exactly one module per provider key, in the same order', () => {
  expect(PROVIDER_MODULES.map((m) => m.key)).toEqual([...PROVIDER_KEYS]);
});

it('every module names CLI flags of its own (no two modules share a flag)', () => {
  const flags = PROVIDER_MODULES.flatMap((m) => [...Object.keys(m.cli.options), m.cli.appFlag]);
  expect(new Set(flags).size).toBe(flags.length);
});

describe('a credential stored before `settings` existed', () => {
  let db: Awaited<ReturnType<typeof openTestDatabase>>;
  afterAll(async () => {
    await db.close();
  });

  it('is read from its legacy field, and a PUT moves it to `settings`', async () => {
    db = await openTestDatabase();
    const box = (SecretBox.parse(SecretBox.newKeyEntry('k')) as { box: SecretBox }).box;
    const store = new CredentialStore(db.db, box);
    const key = makeApnsKey('KEYLEG0001', 'TEAMLEG001', ['com.example.legacy']);
    await store.putCredential('ws', 'old', { provider_key: 'apn', team_id: key.teamId, key_id: key.keyId, key: key.pem, environments: ['production'] });
    // Rewrite it as the service stored it before: the settings under `apn`.
    const credentials = db.db.collection('credentials');
    const doc = await credentials.findOne({ credential_id: 'old' });
    await credentials.updateOne({ _id: doc!._id }, { $set: { apn: doc!.settings }, $unset: { settings: '' } });

    expect(await store.getCredential('ws', 'old')).toMatchObject({ provider_key: 'apn', team_id: 'TEAMLEG001', key_id: 'KEYLEG0001', environments: ['production'] });
    expect((await store.credentialsById('ws', ['old'])).get('old')!.settings).toEqual({ team_id: 'TEAMLEG001', key_id: 'KEYLEG0001', environments: ['production'] });
    await expect(store.putApp('ws', 'com.example.legacy', { apn: { credential_id: 'old', environment: 'sandbox' } })).rejects.toThrow('the credential allows only production');

    await store.putCredential('ws', 'old', { provider_key: 'apn', team_id: key.teamId, key_id: key.keyId, key: key.pem, environments: ['production', 'sandbox'] });
    const rewritten = await credentials.findOne({ credential_id: 'old' });
    expect(rewritten!.apn).toBeUndefined();
    expect(rewritten!.settings).toEqual({ team_id: 'TEAMLEG001', key_id: 'KEYLEG0001', environments: ['production', 'sandbox'] });
  });
});
