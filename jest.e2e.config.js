/**
 * `npm run test:e2e`: the console and /docs in real Chromium (Debian's package) driven by
 * playwright-core, against the built service on the test MongoDB. Run after `npm run build`.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  roots: ['<rootDir>/test/e2e'],
  testMatch: ['**/*.e2e.ts'],
  testTimeout: 60000,
  maxWorkers: 1,
};
