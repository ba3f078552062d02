import { newTrackingKey, parseTrackingId, trackingId, trackingIdIsValid } from '../../src/messages/tracking';

const message = '3f1c6a2e-6f4d-4c1b-9a55-2f0f1e9b7c10';
const token = '65f0c0ffee0123456789abcd';

describe('tracking ids', () => {
  const key = newTrackingKey();
  const id = trackingId(key, message, token);

  it('names one message and one token, and checks against the message key', () => {
    const parts = parseTrackingId(id)!;
    expect(parts).toMatchObject({ messageId: message, tokenId: token });
    expect(trackingIdIsValid(key, parts)).toBe(true);
  });

  it.each([
    ['another key', (p: ReturnType<typeof parseTrackingId>) => trackingIdIsValid(newTrackingKey(), p!)],
    ['another token', (p: ReturnType<typeof parseTrackingId>) => trackingIdIsValid(key, { ...p!, tokenId: '65f0c0ffee0123456789abce' })],
    ['another message', (p: ReturnType<typeof parseTrackingId>) => trackingIdIsValid(key, { ...p!, messageId: `${message.slice(0, -1)}1` })],
    ['a changed mac', (p: ReturnType<typeof parseTrackingId>) => trackingIdIsValid(key, { ...p!, mac: `${p!.mac.slice(0, -1)}${p!.mac.endsWith('A') ? 'B' : 'A'}` })],
  ])('refuses %s', (_name, check) => {
    expect(check(parseTrackingId(id))).toBe(false);
  });

  it.each(['', 'x', `${message}.${token}`, `${message}.${token}.short`, `${message}.${token.toUpperCase()}.${'A'.repeat(22)}`, `../${message}.${token}.${'A'.repeat(22)}`])('does not parse %j', (text) => {
    expect(parseTrackingId(text)).toBeUndefined();
  });
});
