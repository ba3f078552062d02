import { ExpoProvider } from '../../src/providers/expo-provider';
import { ExpoSimulator } from '../simulators/expo-simulator';

/**
 * Per-token data (the trackingUrl) goes through the real adapter and counts toward the payload
 * limit: a body that fits alone, but not with its URL, is refused before it is sent.
 */
let sim: ExpoSimulator;
let expo: ExpoProvider;
beforeAll(async () => {
  sim = await ExpoSimulator.start({});
  expo = new ExpoProvider({ baseUrl: new URL(sim.url) });
});
afterAll(async () => {
  await expo.close();
  await sim.close();
});

it('each token gets its own data in one request, and the URL’s bytes count toward Expo’s 4096', async () => {
  const [a, b] = ['ExponentPushToken[tracking-payload-a-xxxxxx]', 'ExponentPushToken[tracking-payload-b-xxxxxx]'];
  const url = (token: string) => `https://push.example.com/t/${'m'.repeat(36)}.${token.length.toString(16).padStart(24, '0')}.${'x'.repeat(22)}`;
  const small = await expo.send({ title: 'Hi' }, [a, b], { dataFor: (token) => ({ trackingUrl: url(token) }) });
  expect(small.map((r) => r.outcome)).toEqual(['delivered', 'delivered']);
  const sent = sim.sends.at(-1)!;
  expect(sim.sends).toHaveLength(1);
  expect(sent.messages.map((m) => [m.to, (m.data as { trackingUrl: string }).trackingUrl])).toEqual([[a, url(a)], [b, url(b)]]);

  // 4096 bytes with the body alone less a little: fits without the URL, not with it.
  const plain = JSON.stringify({ title: 'Hi', body: '' });
  const body = 'b'.repeat(4096 - Buffer.byteLength(plain) - 20);
  expect((await expo.send({ title: 'Hi', body }, [a]))[0]!.outcome).toBe('delivered');
  const tracked = await expo.send({ title: 'Hi', body }, [a], { dataFor: (token) => ({ trackingUrl: url(token) }) });
  expect(tracked[0]).toMatchObject({ outcome: 'rejected', reason: 'expo:MessageTooBig' });
});
