import { z } from 'zod';
import { ROUTES, type RouteDoc } from './route-catalogue';

/** The OpenAPI 3.1 document, generated from the route catalogue's zod schemas. */
type JsonSchema = Record<string, unknown>;

const toSchema = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
};

/** /users/:user_id/tokens/:token → /users/{user_id}/tokens/{token} */
export const openApiPath = (path: string) => path.replace(/:([A-Za-z_]+)/g, '{$1}');

function parameters(route: RouteDoc): unknown[] {
  const list: unknown[] = [];
  for (const [location, object] of [['path', route.params], ['query', route.query]] as const) {
    if (!object) continue;
    const json = toSchema(object, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      list.push({ name, in: location, required: location === 'path' || (json.required ?? []).includes(name), schema });
    }
  }
  return list;
}

/** Who may call a route: an API key with its scope, a user token for the user in the path, or anyone. */
function security(route: RouteDoc): Record<string, unknown> {
  if (route.apiKeyOnly) return { description: 'A secret API key only; user tokens are refused.', security: [{ apiKey: [] }] };
  if (route.anyCaller) return { description: 'Any API key or user token of the workspace, whatever its scopes.', security: [{ apiKey: [] }, { userToken: [] }] };
  if (!route.scope) return { security: [] };
  if (!route.userTokens) {
    return { description: `Needs an API key with the \`${route.scope}\` scope; user tokens are refused.`, security: [{ apiKey: [] }] };
  }
  return {
    description: `Needs an API key with the \`${route.scope}\` scope, or a user token with \`${route.userTokens}:user-tokens\` and \`user_id:<id>\` for the user in the path.`,
    security: [{ apiKey: [] }, { userToken: [] }],
  };
}

function operation(route: RouteDoc): Record<string, unknown> {
  const operation: Record<string, unknown> = {
    tags: [route.tag],
    summary: route.summary,
    operationId: `${route.method}${openApiPath(route.path).replace(/[{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
    ...security(route),
    responses: Object.fromEntries(
      Object.entries(route.responses).map(([status, response]) => [
        status,
        { description: response.description, ...(response.schema ? { content: { 'application/json': { schema: toSchema(response.schema, 'output') } } } : {}) },
      ]),
    ),
  };
  const params = parameters(route);
  if (params.length > 0) operation.parameters = params;
  if (route.body) operation.requestBody = { required: true, content: { 'application/json': { schema: toSchema(route.body, 'input') } } };
  return operation;
}

export function buildOpenApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const path = openApiPath(route.path);
    paths[path] = { ...paths[path], [route.method]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'push-token-registry',
      version: '0.1.0',
      description: 'A Courier-compatible token API and a Flameup-compatible Devices API over one MongoDB collection, with delivery through APNs, FCM, Expo and OneSignal. Authorize with an API key to try requests here.',
    },
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A secret API key of a workspace (API_KEYS), for backends' },
        userToken: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A short-lived user token from POST /auth/issue-token (or signed by a workspace key), for client apps',
        },
      },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
