import { isDatabaseUnavailable } from '../../src/http/error-handler';

/** Which errors mean "the database can't be reached" (a 503 with Retry-After), not a bug (a 500). */
const named = (name: string, message: string, extra: object = {}) => Object.assign(new Error(message), { name, ...extra });

it.each<[string, unknown, boolean]>([
  ['MongoNetworkError', named('MongoNetworkError', 'connection 3 to 127.0.0.1 closed'), true],
  ['MongoServerSelectionError', named('MongoServerSelectionError', 'Server selection timed out'), true],
  ['a bare ECONNRESET', named('Error', 'read ECONNRESET', { code: 'ECONNRESET' }), true],
  ['a bulk write that lost its connection (no code of its own)', named('MongoBulkWriteError', 'connect ECONNREFUSED 127.0.0.1:23410'), true],
  ['an error caused by a network error', named('Error', 'write failed', { cause: named('MongoNetworkError', 'x') }), true],
  ['a duplicate key', named('MongoServerError', 'E11000 duplicate key error', { code: 11000 }), false],
  ['a bulk write refused by the server', named('MongoBulkWriteError', 'Document failed validation', { code: 121 }), false],
  ['a TypeError', new TypeError('x is undefined'), false],
  ['a TypeError that mentions ECONNREFUSED in its text', new TypeError('ECONNREFUSED'), false],
])('%s: %s', (_name, error, unavailable) => {
  expect(isDatabaseUnavailable(error)).toBe(unavailable);
});
