import { broadcastNote, channelAnswer, channelNote } from '../../src/providers/apns-channels';

/** What node-apn puts on the wire for a note (its typings omit these two methods). */
const wire = (note: unknown) => note as { headers(): Record<string, unknown>; compile(): string };

/** Apple's channel and broadcast answers, as node-apn reports them, → ours (providers/apns-channels.ts). */
describe('answers', () => {
  it.each([
    ['a create: 201 with the id in apns-channel-id', { sent: [{ 'apns-channel-id': 'Y2g=' }], failed: [] }, { ok: true, channelId: 'Y2g=' }],
    ['a bad channel id: refused', { sent: [], failed: [{ status: 400, response: { reason: 'BadChannelId' } }] }, { ok: false, outcome: 'rejected', code: 'apns:BadChannelId', status: 400 }],
    ['an unknown channel: refused', { sent: [], failed: [{ status: 404, response: { reason: 'ChannelNotRegistered' } }] }, { ok: false, outcome: 'rejected', code: 'apns:ChannelNotRegistered', status: 404 }],
    ['a refused key: refused', { sent: [], failed: [{ status: 403, response: { reason: 'InvalidProviderToken' } }] }, { ok: false, outcome: 'rejected', code: 'apns:InvalidProviderToken', status: 403 }],
    ['too many requests: transient', { sent: [], failed: [{ status: 429, response: { reason: 'TooManyRequests' } }] }, { ok: false, outcome: 'retryable', code: 'apns:TooManyRequests', status: 429 }],
    ['Apple unavailable: transient', { sent: [], failed: [{ status: 503, response: { reason: 'ServiceUnavailable' } }] }, { ok: false, outcome: 'retryable', code: 'apns:ServiceUnavailable', status: 503 }],
    ['a stale provider token: transient (node-apn makes a new one)', { sent: [], failed: [{ status: 403, error: { message: 'ExpiredProviderToken' } }] }, { ok: false, outcome: 'retryable', code: 'apns:ExpiredProviderToken', status: 403 }],
    ['no answer at all (connection lost): transient, with the error as detail', { sent: [], failed: [{ error: { message: 'apn write timeout' } }] }, { ok: false, outcome: 'retryable', code: 'apns:no status', detail: 'apn write timeout' }],
  ])('%s', (_name, settled, expected) => {
    expect(channelAnswer(settled, (sent) => ({ channelId: String(sent['apns-channel-id']) }))).toEqual(expected);
  });

  it('no answer is ever `invalid`: a channel is not a token', () => {
    expect(channelAnswer({ sent: [], failed: [{ status: 410, response: { reason: 'Unregistered' } }] }, () => ({}))).toMatchObject({ ok: false, outcome: 'rejected' });
  });
});

describe('requests', () => {
  it.each([
    ['storage none: policy 0', 'none' as const, { 'message-storage-policy': 0, 'push-type': 'LiveActivity' }],
    ['storage most_recent: policy 1', 'most_recent' as const, { 'message-storage-policy': 1, 'push-type': 'LiveActivity' }],
  ])('a create body, %s', (_name, storage, body) => {
    expect(JSON.parse(wire(channelNote({ storage })).compile())).toEqual(body);
  });

  it('a delete names the channel in apns-channel-id and sends no body', () => {
    const note = wire(channelNote({ channelId: 'Y2g=' }));
    expect(note.headers()).toMatchObject({ 'apns-channel-id': 'Y2g=' });
    expect(note.compile()).toBe('{}');
  });

  it('a broadcast: apns-channel-id, push type liveactivity, the priority and expiry, and no topic (the bundle id is in the path)', () => {
    const note = wire(broadcastNote('Y2g=', { topic: 'com.example.match.push-type.liveactivity', pushType: 'liveactivity', priority: 5, expiry: 1_800_000_000, payload: { aps: { event: 'update' } } }));
    expect(note.headers()).toEqual({ 'apns-channel-id': 'Y2g=', 'apns-push-type': 'liveactivity', 'apns-priority': 5, 'apns-expiration': 1_800_000_000 });
    expect(JSON.parse(note.compile())).toEqual({ aps: { event: 'update' } });
  });
});
