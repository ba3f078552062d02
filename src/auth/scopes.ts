/** What an API key may do. A key configured without scopes has all of them. */
export const SCOPES = ['tokens:read', 'tokens:write', 'devices:read', 'devices:write', 'send', 'apps:read', 'apps:write', 'messages:read', 'webhooks:read', 'webhooks:write', 'lists:read', 'lists:write', 'audiences:read', 'audiences:write'] as const;
export type Scope = (typeof SCOPES)[number];

export function isScope(value: string): value is Scope {
  return (SCOPES as readonly string[]).includes(value);
}
