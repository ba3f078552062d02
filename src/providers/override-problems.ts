import type { FieldProblem } from '../errors';
import type { ProviderKey } from '../tokens/token-fields';
import { providerModule } from './catalogue';
import { isObject } from './overrides';

/** Problems with one provider's override, each naming its field (`message.providers.apn.override.headers.apns-topic`), by that provider's module's rules. */
export function overrideProblems(provider: ProviderKey, override: unknown, prefix: string): FieldProblem[] {
  if (!isObject(override)) return [{ path: prefix, message: 'must be an object' }];
  const problems: FieldProblem[] = [];
  providerModule(provider).overrideRules(override, (path, why = 'targets devices or carries credentials; an override may not set it') => problems.push({ path: `${prefix}.${path}`, message: why }));
  return problems;
}
