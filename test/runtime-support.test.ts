import { endOfLifeWarning } from '../src/runtime-support';

describe('endOfLifeWarning', () => {
  it.each([
    ['v20.20.2', '2026-04-29T23:59:59Z', false],
    ['v20.20.2', '2026-04-30T00:00:00Z', true],
    ['v20.20.2', '2026-11-25T12:00:00Z', true],
    ['v22.12.0', '2026-11-25T12:00:00Z', false],
    ['v24.21.0', '2026-11-25T12:00:00Z', false],
    ['v24.21.0', '2028-05-01T00:00:00Z', true],
    ['v25.1.0', '2026-11-25T12:00:00Z', true],
    ['v99.0.0', '2026-11-25T12:00:00Z', false],
  ])('%s on %s warns: %s', (version, date, warns) => {
    const warning = endOfLifeWarning(version, new Date(date));
    expect(warning !== undefined).toBe(warns);
    if (warning) expect(warning).toContain(version);
  });
});
