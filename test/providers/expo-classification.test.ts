import { reasonText } from '../../src/providers/reason';
import { classifyReceipt, classifyRequestFailure, classifyTickets, type ExpoRequestFailure } from '../../src/providers/expo-classification';

/** Every row of the Expo table in ../shared/reference/expo-onesignal.md §3. */
describe('tickets', () => {
  it.each([
    ['ok keeps the receipt id', { status: 'ok', id: 'r1' }, { outcome: 'delivered', receiptId: 'r1', providerId: 'r1' }],
    ['DeviceNotRegistered is dead', { status: 'error', details: { error: 'DeviceNotRegistered' } }, { outcome: 'invalid', reason: 'expo:DeviceNotRegistered' }],
    ['MessageRateExceeded is transient', { status: 'error', details: { error: 'MessageRateExceeded' } }, { outcome: 'retryable', reason: 'expo:MessageRateExceeded' }],
    ['ExpoError is transient', { status: 'error', details: { error: 'ExpoError' } }, { outcome: 'retryable', reason: 'expo:ExpoError' }],
    ['ProviderError is transient', { status: 'error', details: { error: 'ProviderError' } }, { outcome: 'retryable', reason: 'expo:ProviderError' }],
    ['MessageTooBig is ours', { status: 'error', details: { error: 'MessageTooBig' } }, { outcome: 'rejected', reason: 'expo:MessageTooBig' }],
    ['MismatchSenderId is ours', { status: 'error', details: { error: 'MismatchSenderId' } }, { outcome: 'rejected', reason: 'expo:MismatchSenderId' }],
    ['InvalidCredentials is ours', { status: 'error', details: { error: 'InvalidCredentials', fault: 'developer' } }, { outcome: 'rejected', reason: 'expo:InvalidCredentials' }],
    ['DeveloperError is ours', { status: 'error', details: { error: 'DeveloperError' } }, { outcome: 'rejected', reason: 'expo:DeveloperError' }],
    ['an undocumented code is left alone', { status: 'error', details: { error: 'InvalidProviderCredentials' } }, { outcome: 'rejected', reason: 'expo:InvalidProviderCredentials' }],
    ['an error without details is left alone', { status: 'error', message: '?' }, { outcome: 'rejected', reason: 'expo:unknown', detail: 'a ticket error without a code: ?' }],
  ])('%s', (_name, ticket, expected) => {
    expect(classifyTickets(['t'], [ticket as never])).toEqual([{ token: 't', ...expected }]);
  });

  it('maps by index', () => {
    const results = classifyTickets(['a', 'b'], [{ status: 'error', details: { error: 'DeviceNotRegistered' } }, { status: 'ok', id: 'r' }]);
    expect(results.map((r) => [r.token, r.outcome])).toEqual([['a', 'invalid'], ['b', 'delivered']]);
  });

  it('a ticket count that does not match is retryable for all, never a guess', () => {
    expect(classifyTickets(['a', 'b'], [{ status: 'ok', id: 'r' }])).toEqual([
      { token: 'a', outcome: 'retryable', reason: 'expo:ticket_count_mismatch', detail: '1 tickets for 2 recipients' },
      { token: 'b', outcome: 'retryable', reason: 'expo:ticket_count_mismatch', detail: '1 tickets for 2 recipients' },
    ]);
  });
});

describe('whole requests', () => {
  it.each<[string, ExpoRequestFailure, string, string | RegExp, number | undefined]>([
    ['429 TOO_MANY_REQUESTS', { kind: 'http', status: 429, code: 'TOO_MANY_REQUESTS', retryAfterMs: 2000 }, 'retryable', 'expo:TOO_MANY_REQUESTS', 2000],
    ['500 INTERNAL_SERVER_ERROR', { kind: 'http', status: 500, code: 'INTERNAL_SERVER_ERROR' }, 'retryable', 'expo:INTERNAL_SERVER_ERROR', undefined],
    ['502 with an HTML body', { kind: 'http', status: 502 }, 'retryable', 'expo:http_502', undefined],
    ['a network error', { kind: 'network', code: 'ECONNRESET' }, 'retryable', 'expo:ECONNRESET', undefined],
    ['a ticket count mismatch', { kind: 'ticket count', got: 0 }, 'retryable', 'expo:ticket_count_mismatch (0 tickets for 1 recipients)', undefined],
    ['PUSH_TOO_MANY_EXPERIENCE_IDS', { kind: 'http', status: 400, code: 'PUSH_TOO_MANY_EXPERIENCE_IDS' }, 'rejected', 'expo:PUSH_TOO_MANY_EXPERIENCE_IDS', undefined],
    ['PUSH_TOO_MANY_NOTIFICATIONS', { kind: 'http', status: 400, code: 'PUSH_TOO_MANY_NOTIFICATIONS' }, 'rejected', 'expo:PUSH_TOO_MANY_NOTIFICATIONS', undefined],
    ['PUSH_TOO_MANY_RECEIPTS', { kind: 'http', status: 400, code: 'PUSH_TOO_MANY_RECEIPTS' }, 'rejected', 'expo:PUSH_TOO_MANY_RECEIPTS', undefined],
    ['UNAUTHORIZED', { kind: 'http', status: 401, code: 'UNAUTHORIZED' }, 'rejected', /^expo:UNAUTHORIZED \(the project requires/, undefined],
    ['401 invalid_token', { kind: 'http', status: 401 }, 'rejected', /^expo:http_401 /, undefined],
    ['another 4xx', { kind: 'http', status: 400, code: 'VALIDATION_ERROR' }, 'rejected', 'expo:VALIDATION_ERROR', undefined],
    ['a request-level DeviceNotRegistered is about the request, not a token', { kind: 'http', status: 400, code: 'DeviceNotRegistered' }, 'rejected', 'expo:DeviceNotRegistered', undefined],
  ])('%s', (_name, failure, outcome, reason, retryAfterMs) => {
    const [result] = classifyRequestFailure(['t'], failure);
    expect(result).toMatchObject({ token: 't', outcome });
    // What an API answer shows: the code, and its detail in parentheses.
    expect(reasonText(result!.reason!, result!.detail)).toMatch(typeof reason === 'string' ? new RegExp(`^${reason.replace(/[()]/g, '\\$&')}$`) : reason);
    expect(result!.retryAfterMs).toBe(retryAfterMs);
  });
});

describe('receipts', () => {
  it.each([
    ['ok', { status: 'ok' }, 'delivered', 'expo:ok'],
    ['DeviceNotRegistered', { status: 'error', details: { error: 'DeviceNotRegistered' } }, 'invalid', 'expo:DeviceNotRegistered'],
    ['MessageRateExceeded', { status: 'error', details: { error: 'MessageRateExceeded' } }, 'retryable', 'expo:MessageRateExceeded'],
    ['InvalidCredentials', { status: 'error', details: { error: 'InvalidCredentials' } }, 'rejected', 'expo:InvalidCredentials'],
    ['MessageTooBig', { status: 'error', details: { error: 'MessageTooBig' } }, 'rejected', 'expo:MessageTooBig'],
  ])('%s', (_name, receipt, outcome, reason) => {
    expect(classifyReceipt(receipt as never)).toEqual({ outcome, reason });
  });
});
