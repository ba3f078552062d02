import { DEFAULT_ENDPOINT_POLICY, endpointHost, endpointProblem, hostAllowed } from '../../src/tokens/webpush-endpoint';
import { tokenFormatProblem } from '../../src/tokens/token-formats';

describe('hostAllowed', () => {
  it.each<[string, string[], boolean]>([
    ['fcm.googleapis.com', ['fcm.googleapis.com'], true],
    ['FCM.googleapis.com', ['fcm.googleapis.com'], true],
    ['evil-fcm.googleapis.com', ['fcm.googleapis.com'], false],
    ['fcm.googleapis.com.evil.com', ['fcm.googleapis.com'], false],
    ['web.push.apple.com', ['*.push.apple.com'], true],
    ['a.b.push.apple.com', ['*.push.apple.com'], true],
    ['push.apple.com', ['*.push.apple.com'], false],
    ['evilpush.apple.com', ['*.push.apple.com'], false],
    ['wns2-par02p.notify.windows.com', ['*.notify.windows.com'], true],
    // Round three, finding 9: an allowed host, on another port, is another service.
    ['fcm.googleapis.com:8443', ['fcm.googleapis.com'], false],
    ['fcm.googleapis.com:443', ['fcm.googleapis.com'], true],
    ['web.push.apple.com:8443', ['*.push.apple.com'], false],
    ['push.test:8443', ['push.test:8443'], true],
    ['push.test', ['push.test:8443'], false],
    ['push.test:9443', ['push.test:8443'], false],
    ['127.0.0.1:5443', ['127.0.0.1:*'], true],
    ['[::1]:5443', ['[::1]:*'], true],
  ])('%s on %j: %s', (host, list, allowed) => {
    expect(hostAllowed(host, list)).toBe(allowed);
  });
});

describe('endpointProblem under the defaults', () => {
  it.each<[string, boolean]>([
    ['https://fcm.googleapis.com/fcm/send/dXk:APA91bH', true],
    ['https://updates.push.services.mozilla.com/wpush/v2/gAAAAAB', true],
    ['https://web.push.apple.com/QGuZ3Qm', true],
    ['https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD', true],
    ['http://fcm.googleapis.com/fcm/send/x', false],
    ['https://push.example.com/x', false],
    ['https://127.0.0.1:8443/push/x', false],
    ['https://localhost:8443/push/x', false],
    ['https://[::1]/push/x', false],
    ['https://169.254.169.254/latest/meta-data', false],
    ['https://fcm.googleapis.com:8443/fcm/send/x', false],
    ['https://fcm.googleapis.com:443/fcm/send/x', true],
  ])('%s: %s', (endpoint, allowed) => {
    expect(endpointProblem(endpoint, DEFAULT_ENDPOINT_POLICY) === undefined).toBe(allowed);
  });

  it('an allowed name that is a loopback address is refused unless WEBPUSH_ALLOW_PRIVATE', () => {
    expect(endpointProblem('https://localhost:8443/x', { allowedHosts: ['localhost:8443'], allowPrivate: false })).toMatch(/loopback address/);
    expect(endpointProblem('https://127.0.0.1:8443/x', { allowedHosts: ['127.0.0.1:8443'], allowPrivate: false })).toMatch(/loopback address/);
    expect(endpointProblem('https://127.0.0.1:8443/x', { allowedHosts: ['127.0.0.1:8443'], allowPrivate: true })).toBeUndefined();
  });

  it('never quotes the endpoint, and the host is all the console shows', () => {
    expect(endpointProblem('https://push.example.com/secret-part', DEFAULT_ENDPOINT_POLICY)).not.toContain('secret-part');
    expect(endpointHost('https://fcm.googleapis.com/fcm/send/secret-part')).toBe('fcm.googleapis.com');
  });
});

describe('tokenFormatProblem and Web Push', () => {
  it('webpush tokens are endpoints, and only webpush tokens are URLs', () => {
    expect(tokenFormatProblem('webpush', 'https://fcm.googleapis.com/fcm/send/x')).toBeUndefined();
    expect(tokenFormatProblem('webpush', 'abcdef')).toMatch(/not a Web Push endpoint/);
    expect(tokenFormatProblem('firebase-fcm', 'https://fcm.googleapis.com/fcm/send/x')).toMatch(/only webpush tokens/);
    expect(tokenFormatProblem('apn', 'https://fcm.googleapis.com/fcm/send/x')).toMatch(/only webpush tokens/);
  });
});
