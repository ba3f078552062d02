import { generateKeyPairSync } from 'node:crypto';
import { SecretBox, SecretBoxError } from '../../src/apps/secret-box';

const box = (text: string) => {
  const parsed = SecretBox.parse(text);
  if ('problems' in parsed) throw new Error(parsed.problems.join('; '));
  return parsed.box;
};
const K1 = SecretBox.newKeyEntry('k1');
const K2 = SecretBox.newKeyEntry('k2');
// Made at run time: no key material is committed outside the simulators.
const PEM = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

describe('SecretBox (AES-256-GCM, CREDENTIALS_KEYS)', () => {
  it('seals and opens; the ciphertext holds no plaintext and differs each time', () => {
    const b = box(K1);
    const a = b.seal(PEM, ['ws_a', 'team-a']);
    const again = b.seal(PEM, ['ws_a', 'team-a']);
    expect(b.open(a, ['ws_a', 'team-a'])).toBe(PEM);
    expect(a.ciphertext).not.toBe(again.ciphertext);
    expect(JSON.stringify(a)).not.toContain(PEM.split('\n')[1]!.slice(0, 16));
    expect(JSON.stringify(a)).not.toContain('PRIVATE KEY');
    expect(a.key_id).toBe('k1');
  });

  it.each([
    ['another workspace', ['ws_b', 'team-a']],
    ['another credential', ['ws_a', 'team-b']],
    ['shifted parts', ['ws_at', 'eam-a']],
  ])('does not open under %s (associated data)', (_name, context) => {
    const b = box(K1);
    expect(() => b.open(b.seal(PEM, ['ws_a', 'team-a']), context)).toThrow(SecretBoxError);
  });

  it('does not open when altered', () => {
    const b = box(K1);
    const sealed = b.seal(PEM, ['ws', 'c']);
    const flipped = Buffer.from(sealed.ciphertext, 'base64');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => b.open({ ...sealed, ciphertext: flipped.toString('base64') }, ['ws', 'c'])).toThrow(/altered/);
  });

  it('rotation: the first key seals, every key opens; without the old key, the error names only its id', () => {
    const old = box(K1).seal(PEM, ['ws', 'c']);
    const rotated = box(`${K2},${K1}`);
    expect(rotated.open(old, ['ws', 'c'])).toBe(PEM);
    expect(rotated.seal(PEM, ['ws', 'c']).key_id).toBe('k2');
    let message = '';
    try {
      box(K2).open(old, ['ws', 'c']);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe('encrypted with key k1, which is not in CREDENTIALS_KEYS');
  });

  it.each([
    ['', /at least one/],
    ['k1', /id must be/],
    ['k1:c2hvcnQ=', /32 bytes/],
    [`${K1},${K1}`, /twice/],
    ['bad id!:' + Buffer.alloc(32).toString('base64'), /id must be/],
  ])('refuses CREDENTIALS_KEYS=%j', (text, problem) => {
    const parsed = SecretBox.parse(text);
    expect('problems' in parsed && parsed.problems.join(' ')).toMatch(problem);
  });
});
