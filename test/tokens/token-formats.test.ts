import request from 'supertest';
import { tokenFormatProblem } from '../../src/tokens/token-formats';
import { bearer, createTestApp, KEY_A, type TestApp } from '../support/test-app';

describe('tokenFormatProblem', () => {
  it.each([
    ['expo', 'ExponentPushToken[xxxxxxxxxxxxxxxxxxxxxx]', undefined],
    ['expo', 'ExpoPushToken[xxxxxxxxxxxxxxxxxxxxxx]', undefined],
    ['expo', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', undefined],
    ['expo', 'fcm:APA91b-not-expo', /Expo push token/],
    ['expo', 'ExponentPushToken', /Expo push token/],
    ['onesignal', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', undefined],
    ['onesignal', 'F47AC10B-58CC-4372-A567-0E02B2C3D479', undefined],
    ['onesignal', 'f47ac10b58cc4372a5670e02b2c3d479', /UUID/],
    ['onesignal', 'player-123', /UUID/],
    ['apn', 'anything-goes-here', undefined],
    ['firebase-fcm', 'fcm:APA91b', undefined],
  ])('%s %s', (provider, token, problem) => {
    const found = tokenFormatProblem(provider, token);
    if (problem) expect(found).toMatch(problem);
    else expect(found).toBeUndefined();
  });
});

describe('at registration, through both APIs', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp();
  });
  afterAll(async () => {
    await t.close();
  });

  it('An Expo token that fails Expo.isExpoPushToken is a 400 naming token, with nothing stored', async () => {
    const res = await request(t.app).put('/users/u1/tokens/not-an-expo-token').set(bearer(KEY_A)).send({ provider_key: 'expo' }).expect(400);
    expect(res.body.errors).toEqual([{ path: 'token', message: expect.stringMatching(/Expo push token/) }]);
    await request(t.app).put('/users/u1/tokens/ExponentPushToken[abc123]').set(bearer(KEY_A)).send({ provider_key: 'expo' }).expect(204);
    expect(await t.model.countDocuments({ token: 'not-an-expo-token' })).toBe(0);
  });

  it('A OneSignal subscription id must be a UUID; a bulk PUT names the item and writes nothing', async () => {
    const res = await request(t.app)
      .put('/users/u1/tokens')
      .set(bearer(KEY_A))
      .send({ tokens: [{ token: 'f47ac10b-58cc-4372-a567-0e02b2c3d479', provider_key: 'onesignal' }, { token: 'player-1', provider_key: 'onesignal' }] })
      .expect(400);
    expect(res.body.errors).toEqual([{ path: 'tokens[1].token', message: expect.stringMatching(/UUID/) }]);
    expect(await t.model.countDocuments({ user_id: 'u1', provider_key: 'onesignal' })).toBe(0);
  });

  it('The Devices API applies the rules of a token’s stored provider', async () => {
    await request(t.app).put('/users/p1/tokens/ExponentPushToken[dev-1]').set(bearer(KEY_A)).send({ provider_key: 'expo' }).expect(204);
    await request(t.app).post('/api/v1/people/p1/devices').set(bearer(KEY_A)).send({ token: 'ExponentPushToken[dev-1]', platform: 'ios' }).expect(200);
  });
});
