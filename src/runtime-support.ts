/**
 * End-of-life dates of the Node.js release lines, from the Node.js release schedule
 * (github.com/nodejs/Release). After its date a line gets no security fixes, so the service
 * says so once at start-up. The project supports and tests 20.19+ and 24 (package.json engines).
 */
export const NODE_END_OF_LIFE: Readonly<Record<number, string>> = {
  18: '2025-04-30',
  19: '2023-06-01',
  20: '2026-04-30',
  21: '2024-06-01',
  22: '2027-04-30',
  23: '2025-06-01',
  24: '2028-04-30',
  25: '2026-06-01',
  26: '2029-04-30',
};

/** A warning for a runtime past its end of life, or undefined. `version` is process.version. */
export function endOfLifeWarning(version: string, now: Date): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  const endOfLife = NODE_END_OF_LIFE[major];
  if (!endOfLife || now.getTime() < Date.parse(`${endOfLife}T00:00:00Z`)) return undefined;
  return `Node.js ${version} reached its end of life on ${endOfLife} and gets no security fixes; run Node.js 24 LTS (the Docker image does)`;
}
