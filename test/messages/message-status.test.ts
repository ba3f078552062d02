import { MESSAGE_STATUSES, sendStatus, statusesBefore, type MessageStatus, type TokenOutcome } from '../../src/messages/message-status';

/** The status table of docs/api.md, row by row: per-token outcomes → Courier's status and reason. */
const delivered: TokenOutcome = { outcome: 'delivered', routed: true };
const dead: TokenOutcome = { outcome: 'invalid', routed: true };
const rejected: TokenOutcome = { outcome: 'rejected', routed: true };
const retryable: TokenOutcome = { outcome: 'retryable', routed: true };
const unrouted: TokenOutcome = { outcome: 'rejected', routed: false };
const skipped: TokenOutcome = { outcome: 'skipped', routed: true };

describe('sendStatus', () => {
  it.each<[string, TokenOutcome[], string, string | null]>([
    ['one token accepted', [delivered], 'SENT', null],
    ['one accepted among dead and refused ones', [dead, rejected, unrouted, delivered], 'SENT', null],
    ['no token at all', [], 'UNROUTABLE', 'NO_CHANNELS'],
    ['only named tokens that are not sendable', [skipped, skipped], 'UNROUTABLE', 'NO_CHANNELS'],
    ['tokens, but no credential or adapter for any', [unrouted, unrouted], 'UNROUTABLE', 'NO_PROVIDERS'],
    ['unrouted and skipped', [unrouted, skipped], 'UNROUTABLE', 'NO_PROVIDERS'],
    ['every token dead', [dead, dead], 'UNDELIVERABLE', 'BOUNCED'],
    ['dead and skipped', [dead, skipped], 'UNDELIVERABLE', 'BOUNCED'],
    ['dead and refused by the provider', [dead, rejected], 'UNDELIVERABLE', 'PROVIDER_ERROR'],
    ['still failing after retries', [retryable], 'UNDELIVERABLE', 'PROVIDER_ERROR'],
    ['dead and unrouted', [dead, unrouted], 'UNDELIVERABLE', 'PROVIDER_ERROR'],
  ])('%s', (_name, tokens, status, reason) => {
    expect(sendStatus(tokens)).toEqual({ status, reason });
  });
});

describe('statusesBefore: the status only moves forward', () => {
  it.each<[MessageStatus, MessageStatus[]]>([
    ['ENQUEUED', ['DELAYED']],
    ['CANCELED', ['DELAYED']],
    ['SENT', ['ENQUEUED']],
    ['UNDELIVERABLE', ['ENQUEUED']],
    ['UNROUTABLE', ['ENQUEUED']],
    ['DELIVERED', ['SENT']],
    ['OPENED', ['SENT', 'DELIVERED']],
    ['CLICKED', ['SENT', 'DELIVERED', 'OPENED']],
  ])('%s replaces only %j', (to, from) => {
    expect(statusesBefore(to)).toEqual(from);
  });
});

it('no two statuses can replace each other: the status never moves back', () => {
  for (const to of MESSAGE_STATUSES) {
    for (const from of statusesBefore(to)) expect(statusesBefore(from)).not.toContain(to);
    expect(statusesBefore(to)).not.toContain(to);
  }
});
