import { buildLiveActivityRequest } from '../../src/providers/apns-live-activity';
import { buildApnsRequest } from '../../src/providers/apns-payload';
import type { LiveActivityPush, Notification } from '../../src/providers/provider';

/** A Live Activity event → the APNs request, field by field (providers/apns-live-activity.ts). */
const now = new Date('2026-12-06T12:00:00Z');
const at = new Date('2026-12-06T11:59:30Z');
const base: LiveActivityPush = { event: 'update', contentState: { score: '1-0' }, timestamp: at };
const build = (activity: Partial<LiveActivityPush>, notification: Notification = {}) => buildLiveActivityRequest(notification, { ...base, ...activity }, 'com.example.scores', now);

describe('the request', () => {
  it.each([
    ['push type', {}, (r: ReturnType<typeof build>) => r.pushType, 'liveactivity'],
    ['topic: the bundle id with .push-type.liveactivity', {}, (r: ReturnType<typeof build>) => r.topic, 'com.example.scores.push-type.liveactivity'],
    ['priority 5 without an alert (Apple budgets priority 10)', {}, (r: ReturnType<typeof build>) => r.priority, 5],
    ['priority 10 with an alert', { alert: { title: 'Goal!' } }, (r: ReturnType<typeof build>) => r.priority, 10],
  ])('%s', (_name, activity, read, expected) => {
    expect(read(build(activity))).toBe(expected);
  });

  it('priority 10 when the message asks for high priority, and the TTL as apns-expiration', () => {
    const request = build({}, { priority: 'high', ttlSeconds: 600 });
    expect(request.priority).toBe(10);
    expect(request.expiry).toBe(Math.floor(now.getTime() / 1000) + 600);
  });

  it('a topic that already ends in .push-type.liveactivity is kept as it is', () => {
    expect(buildLiveActivityRequest({}, base, 'com.example.scores.push-type.liveactivity', now).topic).toBe('com.example.scores.push-type.liveactivity');
  });
});

describe('aps, per event', () => {
  const aps = (activity: Partial<LiveActivityPush>) => (build(activity).payload as { aps: Record<string, unknown> }).aps;
  it.each([
    ['an update: timestamp in seconds, event, content-state', {}, { timestamp: Math.floor(at.getTime() / 1000), event: 'update', 'content-state': { score: '1-0' } }],
    [
      'a start: attributes-type, attributes, and input-push-token for iOS 18',
      { event: 'start' as const, attributesType: 'MatchAttributes', attributes: { home: 'ARS', away: 'CHE' } },
      { timestamp: Math.floor(at.getTime() / 1000), event: 'start', 'content-state': { score: '1-0' }, 'attributes-type': 'MatchAttributes', attributes: { home: 'ARS', away: 'CHE' }, 'input-push-token': 1 },
    ],
    [
      'a start onto a channel: input-push-channel instead of input-push-token',
      { event: 'start' as const, attributesType: 'MatchAttributes', attributes: {}, inputPushChannel: 'Y2hhbm5lbA==' },
      { timestamp: Math.floor(at.getTime() / 1000), event: 'start', 'content-state': { score: '1-0' }, 'attributes-type': 'MatchAttributes', attributes: {}, 'input-push-channel': 'Y2hhbm5lbA==' },
    ],
    [
      'an end with a dismissal date, in seconds',
      { event: 'end' as const, dismissalDate: new Date('2026-12-06T13:00:00Z') },
      { timestamp: Math.floor(at.getTime() / 1000), event: 'end', 'content-state': { score: '1-0' }, 'dismissal-date': Math.floor(Date.parse('2026-12-06T13:00:00Z') / 1000) },
    ],
    [
      'a stale date and a relevance score',
      { staleDate: new Date('2026-12-06T12:30:00Z'), relevanceScore: 75 },
      { timestamp: Math.floor(at.getTime() / 1000), event: 'update', 'content-state': { score: '1-0' }, 'stale-date': Math.floor(Date.parse('2026-12-06T12:30:00Z') / 1000), 'relevance-score': 75 },
    ],
    [
      'an alert, with its sound',
      { alert: { title: 'Goal!', body: 'Saka 12′', sound: 'goal.caf' } },
      { timestamp: Math.floor(at.getTime() / 1000), event: 'update', 'content-state': { score: '1-0' }, alert: { title: 'Goal!', body: 'Saka 12′' }, sound: 'goal.caf' },
    ],
    ['a sound alone is no alert', { alert: { sound: 'x.caf' } }, { timestamp: Math.floor(at.getTime() / 1000), event: 'update', 'content-state': { score: '1-0' } }],
  ])('%s', (_name, activity, expected) => {
    expect(aps(activity)).toEqual(expected);
  });

  it('carries no custom data beside aps, and no start fields on an update', () => {
    const request = build({ attributesType: 'MatchAttributes', attributes: { home: 'ARS' } });
    expect(Object.keys(request.payload)).toEqual(['aps']);
    expect(request.payload.aps).not.toHaveProperty('attributes');
    expect(request.payload.aps).not.toHaveProperty('input-push-token');
  });
});

it('buildApnsRequest takes the Live Activity shape for a notification that has one, and still applies the override last', () => {
  const request = buildApnsRequest({ title: 'ignored', liveActivity: base, overrides: { apn: { headers: { 'apns-priority': 10 } } } }, 'com.example.scores', now);
  expect(request).toMatchObject({ pushType: 'liveactivity', topic: 'com.example.scores.push-type.liveactivity', priority: 10 });
  expect(request.payload.aps).not.toHaveProperty('alert');
});
