import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROVIDER_KEYS } from '../../src/tokens/token-fields';

/**
 * A provider is one module (issue 32's first part): outside the catalogue and
 * tokens/token-fields.ts, no file of src/ names every provider key, so adding a provider or a
 * push type touches its module and the catalogue's line, never a switch elsewhere.
 */
const SRC = path.join(__dirname, '../../src');
const ALLOWED = new Set(['providers/catalogue.ts', 'tokens/token-fields.ts']);

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
  });
}

it('only the catalogue and token-fields.ts name every provider key', () => {
  const naming = files(SRC).filter((file) => {
    const text = readFileSync(file, 'utf8');
    return PROVIDER_KEYS.every((key) => text.includes(`'${key}'`) || text.includes(`"${key}"`));
  });
  expect(naming.map((file) => path.relative(SRC, file).split(path.sep).join('/')).filter((file) => !ALLOWED.has(file))).toEqual([]);
});
