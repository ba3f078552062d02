import type { RouteDoc } from './route-catalogue';

/**
 * Matching request paths against the route table's templates ("/users/:user_id/tokens/:token"),
 * as Express matches them: case-sensitive, one segment per parameter, an optional trailing
 * slash. The table is the one list of routes: it decides which paths are the API's (and so are
 * authenticated at all) and which a browser may call with a user token (CORS).
 */
type Compiled = { pattern: RegExp; methods: Set<string> };

function compile(template: string): RegExp {
  const source = template
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`);
}

export class RoutePaths {
  private readonly compiled: Compiled[];

  constructor(routes: readonly Pick<RouteDoc, 'method' | 'path'>[]) {
    const byPath = new Map<string, Compiled>();
    for (const route of routes) {
      const entry = byPath.get(route.path) ?? { pattern: compile(route.path), methods: new Set<string>() };
      entry.methods.add(route.method.toUpperCase());
      byPath.set(route.path, entry);
    }
    this.compiled = [...byPath.values()];
  }

  /** The methods the table has for this path; empty when no route has it. */
  methodsFor(path: string): string[] {
    const methods = new Set<string>();
    for (const { pattern, methods: these } of this.compiled) if (pattern.test(path)) these.forEach((m) => methods.add(m));
    return [...methods];
  }

  has(method: string, path: string): boolean {
    return this.methodsFor(path).includes(method.toUpperCase());
  }
}
