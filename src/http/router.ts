import { Router } from 'express';

/**
 * Every router of the service matches paths case-sensitively, as the app does: `/USERS/...`
 * is not `/users/...`, so no spelling of a path can reach a route around what the logs and
 * the OpenAPI document know of it.
 */
export function caseSensitiveRouter(): Router {
  return Router({ caseSensitive: true });
}
