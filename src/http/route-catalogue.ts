import { idPageQuery } from './id-paging';
import { channelBody, channelParams } from './channel-schemas';
import { audienceParams, audiencesQuery, putAudienceBody } from './audience-schemas';
import { emptyBody, listParams, listsQuery, listUserParams, putListBody, subscribeUserBody, subscriptionsBody } from './list-schemas';
import type { z } from 'zod';
import type { Scope } from '../auth/scopes';
import { deviceParams, listDevicesQuery, personParams, registerDeviceBody } from './device-schemas';
import { deviceList, deviceObject, errorBody, readiness, sendReport, tokenObject, tokenPage } from './response-schemas';
import { issuedToken, issueTokenBody } from './auth-schemas';
import { sendBody } from './send-schemas';
import { historyQuery, listMessagesQuery, messageParams, trackingBody, trackingParams } from './message-schemas';
import { attemptsQuery, createWebhookBody, updateWebhookBody, webhookParams } from './webhook-schemas';
import { delayedSend, messageDetails, messageHistory, messageList, messageRetrieved, webhookView } from './response-schemas';
import { appBody, appParams, credentialBody, credentialParams } from '../apps/credential-schemas';
import { appView, credentialView, keyInfo, tokenStats } from './response-schemas';
import { publicKeyAnswer, publicKeyQuery } from './webpush-schemas';
import { listTokensQuery, lookupParams, patchTokenBody, putTokenBody, putTokensBody, tokenParams, userParams } from './token-schemas';

/**
 * Every route the service serves, with the zod schemas its handler validates with. The
 * OpenAPI document is generated from this list; a test checks that the list and the app's real
 * routes are the same set.
 */
export type RouteDoc = {
  method: 'get' | 'put' | 'post' | 'patch' | 'delete';
  path: string;
  tag: string;
  summary: string;
  scope?: Scope;
  /** Also callable with a user token for the user in the path (read:user-tokens / write:user-tokens). */
  userTokens?: 'read' | 'write';
  /** Authenticated, but with a secret API key only, whatever its scopes. */
  apiKeyOnly?: boolean;
  /** Authenticated, by any API key or user token of the workspace, whatever its scopes. */
  anyCaller?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
};

const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((status) => [status, { description: ERROR_DESCRIPTIONS[status] ?? 'Error', schema: errorBody }]));
const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request: `errors` names every offending field',
  401: 'Missing, unknown, expired or tampered API key or user token',
  403: 'The key or user token lacks the scope named in `missing_scope` (for a user token acting for another user: `user_id:<id>`)',
  404: 'Not found in this workspace',
  409: 'A JSON Patch `test` failed, or a request with this Idempotency-Key is still running',
  422: 'The Idempotency-Key was used with another request body',
  413: 'Body over 64 KB',
  429: 'Rate limit for this API key',
  503: 'MongoDB unavailable; retry after Retry-After',
};
const common = [400, 401, 403, 429, 503];

export const ROUTES: RouteDoc[] = [
  {
    method: 'put', path: '/users/:user_id/tokens/:token', userTokens: 'write', tag: 'Tokens (Courier)', scope: 'tokens:write',
    summary: 'Create or fully replace a token', params: tokenParams, body: putTokenBody,
    responses: { 204: { description: 'Stored' }, ...errors(...common, 413) },
  },
  {
    method: 'put', path: '/users/:user_id/tokens', tag: 'Tokens (Courier)', scope: 'tokens:write',
    summary: 'Add or replace up to 100 tokens of one user (validated all-or-nothing)', params: userParams, body: putTokensBody,
    responses: { 204: { description: 'Stored' }, ...errors(...common, 413) },
  },
  {
    method: 'get', path: '/users/:user_id/tokens/:token', userTokens: 'read', tag: 'Tokens (Courier)', scope: 'tokens:read',
    summary: 'Read one token', params: tokenParams,
    responses: { 200: { description: 'The token', schema: tokenObject }, ...errors(...common, 404) },
  },
  {
    method: 'get', path: '/tokens/:token', tag: 'Tokens (Courier)', scope: 'tokens:read', apiKeyOnly: true,
    summary: 'Find which user holds a token (an extension to Courier’s API, for support)', params: lookupParams,
    responses: { 200: { description: 'The token, with its user_id', schema: tokenObject }, ...errors(400, 401, 403, 404, 429) },
  },
  {
    method: 'get', path: '/stats', tag: 'Console', scope: 'tokens:read', apiKeyOnly: true,
    summary: 'Overview figures: tokens by provider and status, invalidations per day over 30 days, users without a sendable token (cached ~30 s)',
    responses: { 200: { description: 'The figures', schema: tokenStats }, ...errors(401, 403, 429) },
  },
  {
    method: 'get', path: '/users/:user_id/tokens', userTokens: 'read', tag: 'Tokens (Courier)', scope: 'tokens:read',
    summary: "List a user's tokens, with cursor paging", params: userParams, query: listTokensQuery,
    responses: { 200: { description: 'A page of tokens', schema: tokenPage }, ...errors(...common) },
  },
  {
    method: 'patch', path: '/users/:user_id/tokens/:token', userTokens: 'write', tag: 'Tokens (Courier)', scope: 'tokens:write',
    summary: 'Change a token with RFC 6902 JSON Patch', params: tokenParams, body: patchTokenBody,
    responses: { 204: { description: 'Patched' }, ...errors(...common, 404, 409, 413) },
  },
  {
    method: 'delete', path: '/users/:user_id/tokens/:token', userTokens: 'write', tag: 'Tokens (Courier)', scope: 'tokens:write',
    summary: 'Delete a token', params: tokenParams,
    responses: { 204: { description: 'Deleted' }, ...errors(...common, 404) },
  },
  {
    method: 'post', path: '/api/v1/people/:person_id/devices', userTokens: 'write', tag: 'Devices (Flameup)', scope: 'devices:write',
    summary: 'Register a device, or update it when the token is known', params: personParams, body: registerDeviceBody,
    responses: { 200: { description: 'Updated', schema: deviceObject }, 201: { description: 'Created', schema: deviceObject }, ...errors(...common, 413) },
  },
  {
    method: 'get', path: '/api/v1/people/:person_id/devices', userTokens: 'read', tag: 'Devices (Flameup)', scope: 'devices:read',
    summary: "List a person's devices", params: personParams, query: listDevicesQuery,
    responses: { 200: { description: 'Devices and their total', schema: deviceList }, ...errors(...common) },
  },
  {
    method: 'delete', path: '/api/v1/people/:person_id/devices/:token', userTokens: 'write', tag: 'Devices (Flameup)', scope: 'devices:write',
    summary: 'Delete a device by its token (URL-encoded)', params: deviceParams,
    responses: { 204: { description: 'Deleted' }, ...errors(...common, 404) },
  },
  {
    method: 'post', path: '/send', tag: 'Sending', scope: 'send',
    summary: 'Send a notification to users or tokens through APNs, FCM, Expo and OneSignal; one message per recipient in the message log. Idempotency-Key: a repeat gets the first answer (Idempotent-Replayed: true)', body: sendBody,
    responses: {
      200: { description: 'Sent now: one result per token, and a summary (an extension to Courier, which answers 202)', schema: sendReport },
      202: { description: 'Delayed (message.delay): the requestId; the messages are DELAYED. Also the answer to a repeated Idempotency-Key whose first request sent and then could not keep its answer', schema: delayedSend },
      ...errors(...common, 409, 413, 422),
    },
  },
  ...messageRouteDocs(),
  ...webhookRouteDocs(),
  ...listRouteDocs(),
  ...audienceRouteDocs(),
  ...channelRouteDocs(),
  {
    method: 'get', path: '/auth/key', tag: 'Console', apiKeyOnly: true,
    summary: 'The calling API key: its workspace and scopes (never the key itself)',
    responses: { 200: { description: 'The key', schema: keyInfo }, ...errors(401, 403, 429) },
  },
  {
    method: 'post', path: '/auth/issue-token', tag: 'Client apps', apiKeyOnly: true,
    summary: "Issue a short-lived JWT scoped to users, for a client app (Courier's /auth/issue-token)", body: issueTokenBody,
    responses: {
      200: { description: 'The token', schema: issuedToken },
      ...errors(400, 401, 403, 429),
      503: { description: 'No signing key is configured (USER_TOKEN_SIGNING_KEYS_FILE), or MongoDB is unavailable', schema: errorBody },
    },
  },
  {
    method: 'get', path: '/.well-known/jwks.json', tag: 'Client apps',
    summary: 'The public keys that verify user tokens the service issues (JWKS)', responses: { 200: { description: 'A JWK set' } },
  },
  ...appRouteDocs(),
  { method: 'get', path: '/healthz', tag: 'Operations', summary: 'Liveness: the process is up', responses: { 200: { description: 'Up' } } },
  {
    method: 'get', path: '/readyz', tag: 'Operations', summary: 'Readiness: MongoDB answers, providers loaded, not shutting down',
    responses: { 200: { description: 'Ready', schema: readiness }, 503: { description: 'Not ready; `reason` says why', schema: readiness } },
  },
  { method: 'get', path: '/metrics', tag: 'Operations', summary: 'Prometheus metrics', responses: { 200: { description: 'Prometheus text format' } } },
  { method: 'get', path: '/openapi.json', tag: 'Operations', summary: 'This document', responses: { 200: { description: 'OpenAPI 3.1' } } },
  { method: 'get', path: '/docs', tag: 'Operations', summary: 'This reference, interactive (Swagger UI, served locally; its script and style files live under /docs/)', responses: { 200: { description: 'HTML' } } },
  { method: 'get', path: '/console', tag: 'Operations', summary: 'The operator console (static files under /console/; sign in with an API key; CONSOLE_ENABLED=false turns it off)', responses: { 301: { description: 'To /console/' } } },
  {
    method: 'get', path: '/webpush/public-key', tag: 'Web Push', anyCaller: true,
    summary: "The VAPID public key a page subscribes with (applicationServerKey), for an app: its webpush credential's, the default app's, or the instance's",
    query: publicKeyQuery,
    responses: { 200: { description: 'The public key', schema: publicKeyAnswer }, ...errors(400, 401, 404, 429, 503) },
  },
];

function messageRouteDocs(): RouteDoc[] {
  const tag = 'Messages (Courier)';
  return [
    { method: 'get', path: '/messages', tag, scope: 'messages:read', summary: 'The message log, newest first, with Courier’s filters and cursor paging', query: listMessagesQuery, responses: { 200: { description: 'A page of messages', schema: messageList }, ...errors(...common) } },
    { method: 'get', path: '/messages/:message_id', tag, scope: 'messages:read', summary: 'One message, with its providers and per-token outcomes', params: messageParams, responses: { 200: { description: 'The message', schema: messageRetrieved }, ...errors(...common, 404) } },
    { method: 'get', path: '/messages/:message_id/history', tag, scope: 'messages:read', summary: 'The message’s events, oldest first (?type= filters)', params: messageParams, query: historyQuery, responses: { 200: { description: 'The events', schema: messageHistory }, ...errors(...common, 404) } },
    { method: 'get', path: '/messages/:message_id/failures', tag, scope: 'messages:read', summary: 'A broadcast’s tokens that did not get it, with their reasons, in cursor pages (delivered tokens are counted in `progress`, never listed)', params: messageParams, query: idPageQuery, responses: { 200: { description: '{"results": [{token_id, token, user_id, provider_key, app_id, outcome, code, reason, at}], "paging"}' }, ...errors(...common, 404) } },
    { method: 'post', path: '/messages/:message_id/cancel', tag, scope: 'send', summary: 'Cancel a delayed message (200 with the record while DELAYED, 409 after), or stop a broadcast: no chunk goes out after it; `progress.sent` says how many tokens had', params: messageParams, responses: { 200: { description: 'Canceled', schema: messageDetails }, 409: { description: 'Already sent (or canceled): the record', schema: messageDetails }, ...errors(400, 401, 403, 404, 429, 503) } },
    { method: 'post', path: '/t/:tracking_id', tag, summary: 'Courier’s trackingUrl: a device posts {event} (DELIVERED, OPENED, CLICKED, READ, UNREAD); no key, any origin', params: trackingParams, body: trackingBody, responses: { 204: { description: 'Recorded, or a repeat that changed nothing' }, ...errors(400, 404, 503) } },
  ];
}

function webhookRouteDocs(): RouteDoc[] {
  const tag = 'Webhooks';
  const endpoint = { 200: { description: 'The endpoint (never its secret)', schema: webhookView } };
  return [
    { method: 'post', path: '/webhooks', tag, scope: 'webhooks:write', summary: 'Register an endpoint; the answer holds its secret, shown this once (token.invalidated needs tokens:read too, message.updated messages:read); at most MAX_WEBHOOK_ENDPOINTS per workspace (409 past it)', body: createWebhookBody, responses: { 201: { description: 'Created, with `secret`', schema: webhookView }, ...errors(400, 401, 403, 409, 429, 503) } },
    { method: 'get', path: '/webhooks', tag, scope: 'webhooks:read', summary: "The workspace's endpoints, in id order, with cursor paging", query: idPageQuery, responses: { 200: { description: '{"webhooks": [...], "paging": {"cursor", "more"}}' }, ...errors(400, 401, 403, 429, 503) } },
    { method: 'get', path: '/webhooks/:webhook_id', tag, scope: 'webhooks:read', summary: 'One endpoint', params: webhookParams, responses: { ...endpoint, ...errors(401, 403, 404, 429, 503) } },
    { method: 'patch', path: '/webhooks/:webhook_id', tag, scope: 'webhooks:write', summary: 'Change url, events, description or disabled', params: webhookParams, body: updateWebhookBody, responses: { ...endpoint, ...errors(400, 401, 403, 404, 429, 503) } },
    { method: 'delete', path: '/webhooks/:webhook_id', tag, scope: 'webhooks:write', summary: 'Remove an endpoint', params: webhookParams, responses: { 204: { description: 'Removed' }, ...errors(401, 403, 404, 429, 503) } },
    { method: 'post', path: '/webhooks/:webhook_id/rotate-secret', tag, scope: 'webhooks:write', summary: 'A new secret; for 24 h deliveries carry both signatures', params: webhookParams, responses: { 200: { description: '{"secret": "whsec_…"}' }, ...errors(401, 403, 404, 429, 503) } },
    { method: 'post', path: '/webhooks/:webhook_id/test', tag, scope: 'webhooks:write', summary: 'Queue a webhook.test event for this endpoint', params: webhookParams, responses: { 202: { description: '{"event_id"}' }, ...errors(401, 403, 404, 429, 503) } },
    { method: 'get', path: '/webhooks/:webhook_id/attempts', tag, scope: 'webhooks:read', summary: 'The latest delivery attempts, newest first, with cursor paging', params: webhookParams, query: attemptsQuery, responses: { 200: { description: '{"results": [...], "paging": {...}}' }, ...errors(400, 401, 403, 404, 429, 503) } },
  ];
}

function appRouteDocs(): RouteDoc[] {
  const tag = 'Apps and credentials';
  const stored = (schema: z.ZodType) => ({ 200: { description: 'Replaced', schema }, 201: { description: 'Created', schema } });
  const unavailable = { 503: { description: 'CREDENTIALS_KEYS is not set (production), or MongoDB is unavailable', schema: errorBody } };
  return [
    { method: 'put', path: '/credentials/:credential_id', tag, scope: 'apps:write', summary: 'Store or replace a provider credential (key material is write-only); at most MAX_CREDENTIALS per workspace (409 past it)', params: credentialParams, body: credentialBody, responses: { ...stored(credentialView), ...errors(400, 401, 403, 409, 413, 429), ...unavailable } },
    { method: 'get', path: '/credentials', tag, scope: 'apps:read', summary: "The workspace's credentials, as fingerprints, in id order, with cursor paging", query: idPageQuery, responses: { 200: { description: '{"credentials": [...], "paging": {"cursor", "more"}}' }, ...errors(400, 401, 403, 429), ...unavailable } },
    { method: 'get', path: '/credentials/:credential_id', tag, scope: 'apps:read', summary: 'One credential, as a fingerprint', params: credentialParams, responses: { 200: { description: 'The fingerprint', schema: credentialView }, ...errors(401, 403, 404, 429), ...unavailable } },
    { method: 'delete', path: '/credentials/:credential_id', tag, scope: 'apps:write', summary: 'Delete a credential no app uses (409 names the apps that do)', params: credentialParams, responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 409, 429), ...unavailable } },
    { method: 'put', path: '/apps/:app_id', tag, scope: 'apps:write', summary: 'Store or replace an app: which credential serves it, per provider; at most MAX_APPS per workspace (409 past it)', params: appParams, body: appBody, responses: { ...stored(appView), ...errors(400, 401, 403, 409, 429, 503) } },
    { method: 'get', path: '/apps', tag, scope: 'apps:read', summary: "The workspace's apps, in id order, with cursor paging", query: idPageQuery, responses: { 200: { description: '{"apps": [...], "paging": {"cursor", "more"}}' }, ...errors(400, 401, 403, 429, 503) } },
    { method: 'get', path: '/apps/:app_id', tag, scope: 'apps:read', summary: 'One app', params: appParams, responses: { 200: { description: 'The app', schema: appView }, ...errors(401, 403, 404, 429, 503) } },
    { method: 'delete', path: '/apps/:app_id', tag, scope: 'apps:write', summary: 'Delete an app', params: appParams, responses: { 204: { description: 'Deleted' }, ...errors(401, 403, 404, 429, 503) } },
  ];
}

function listRouteDocs(): RouteDoc[] {
  const tag = 'Lists (Courier)';
  const done = (description: string) => ({ 204: { description } });
  const pageQuery = listsQuery.omit({ pattern: true });
  return [
    { method: 'get', path: '/lists', tag, scope: 'lists:read', summary: 'The workspace’s lists, in id order, with cursor paging; `pattern` (as sports.*) narrows them', query: listsQuery, responses: { 200: { description: '{"items": [{id, name, created, updated}], "paging": {"cursor", "more"}}' }, ...errors(...common) } },
    { method: 'get', path: '/lists/:list_id', tag, scope: 'lists:read', summary: 'One list', params: listParams, responses: { 200: { description: '{id, name, created, updated}' }, ...errors(...common, 404) } },
    { method: 'put', path: '/lists/:list_id', tag, scope: 'lists:write', summary: 'Create or rename a list; at most MAX_LISTS per workspace (409 past it)', params: listParams, body: putListBody, responses: { ...done('Stored'), ...errors(...common, 409) } },
    { method: 'delete', path: '/lists/:list_id', tag, scope: 'lists:write', summary: 'Delete a list (restorable, with its subscriptions)', params: listParams, responses: { ...done('Deleted'), ...errors(...common, 404) } },
    { method: 'put', path: '/lists/:list_id/restore', tag, scope: 'lists:write', summary: 'Restore a deleted list', params: listParams, body: emptyBody, responses: { ...done('Restored'), ...errors(...common, 404) } },
    { method: 'get', path: '/lists/:list_id/subscriptions', tag, scope: 'lists:read', summary: 'A list’s subscribers, in user id order, with cursor paging', params: listParams, query: pageQuery, responses: { 200: { description: '{"items": [{recipientId, created, preferences?}], "paging"}' }, ...errors(...common, 404) } },
    { method: 'post', path: '/lists/:list_id/subscriptions', tag, scope: 'lists:write', summary: 'Subscribe up to 1,000 users (the list is made if needed); at most MAX_LIST_SUBSCRIBERS per list (409 past it)', params: listParams, body: subscriptionsBody, responses: { ...done('Subscribed'), ...errors(...common, 404, 409) } },
    { method: 'put', path: '/lists/:list_id/subscriptions', tag, scope: 'lists:write', summary: 'Make the list’s subscribers exactly these (up to 1,000)', params: listParams, body: subscriptionsBody, responses: { ...done('Replaced'), ...errors(...common, 404, 409) } },
    { method: 'put', path: '/lists/:list_id/subscriptions/:user_id', tag, scope: 'lists:write', userTokens: 'write', summary: 'Subscribe one user (the list is made if needed)', params: listUserParams, body: subscribeUserBody, responses: { ...done('Subscribed'), ...errors(...common, 404, 409) } },
    { method: 'delete', path: '/lists/:list_id/subscriptions/:user_id', tag, scope: 'lists:write', userTokens: 'write', summary: 'Unsubscribe one user', params: listUserParams, responses: { ...done('Unsubscribed'), ...errors(...common, 404) } },
    { method: 'put', path: '/client/lists/:list_id/subscribe/:user_id', tag, scope: 'lists:write', userTokens: 'write', summary: 'courier-js’s lists.putSubscription: an app subscribes its own user, with a user token', params: listUserParams, body: subscribeUserBody, responses: { ...done('Subscribed'), ...errors(...common, 404, 409) } },
    { method: 'delete', path: '/client/lists/:list_id/unsubscribe/:user_id', tag, scope: 'lists:write', userTokens: 'write', summary: 'courier-js’s lists.deleteSubscription', params: listUserParams, responses: { ...done('Unsubscribed'), ...errors(...common, 404) } },
  ];
}

function audienceRouteDocs(): RouteDoc[] {
  const tag = 'Audiences (Courier, over devices)';
  return [
    { method: 'get', path: '/audiences', tag, scope: 'audiences:read', summary: 'The workspace’s audiences, in id order, with cursor paging', query: audiencesQuery, responses: { 200: { description: '{"items": [audience], "paging"}' }, ...errors(...common) } },
    { method: 'get', path: '/audiences/:audience_id', tag, scope: 'audiences:read', summary: 'One audience', params: audienceParams, responses: { 200: { description: '{id, name, description, filter, operator, created_at, updated_at}' }, ...errors(...common, 404) } },
    { method: 'put', path: '/audiences/:audience_id', tag, scope: 'audiences:write', summary: 'Create or change an audience: a Courier filter over token fields (400 names an unknown path or operator); at most MAX_AUDIENCES per workspace (409 past it)', params: audienceParams, body: putAudienceBody, responses: { 200: { description: '{"audience": {...}}' }, ...errors(...common, 409) } },
    { method: 'delete', path: '/audiences/:audience_id', tag, scope: 'audiences:write', summary: 'Delete an audience', params: audienceParams, responses: { 204: { description: 'Deleted' }, ...errors(...common, 404) } },
    { method: 'get', path: '/audiences/:audience_id/count', tag, scope: 'audiences:read', summary: 'How many active tokens the audience matches now (an extension to Courier’s API)', params: audienceParams, responses: { 200: { description: '{"count": n}' }, ...errors(...common, 404) } },
    { method: 'get', path: '/audiences/:audience_id/members', tag, scope: 'audiences:read', summary: 'The audience’s members now: one item per matching active token, in token order, with cursor paging', params: audienceParams, query: audiencesQuery, responses: { 200: { description: '{"items": [{member_id, token_id, token (hint), provider_key, app_id, platform, …}], "paging"}' }, ...errors(...common, 404) } },
  ];
}

function channelRouteDocs(): RouteDoc[] {
  const tag = 'Live Activities (APNs)';
  const view = '{channel_id, app_id, bundle_id, environment, storage, created_at}';
  return [
    { method: 'post', path: '/live-activities/channels', tag, scope: 'apps:write', summary: 'Create an iOS 18 broadcast channel at Apple with the app’s APNs credential (storage: none or most_recent); at most MAX_LIVE_ACTIVITY_CHANNELS per workspace (409 past it); 422 when Apple refuses, 503 when Apple can’t be reached', body: channelBody, responses: { 201: { description: view }, ...errors(...common, 404, 409, 422) } },
    { method: 'get', path: '/live-activities/channels', tag, scope: 'apps:read', summary: 'The workspace’s channels, in channel id order, with cursor paging', query: idPageQuery, responses: { 200: { description: `{"channels": [${view}], "paging"}` }, ...errors(...common) } },
    { method: 'get', path: '/live-activities/channels/:channel_id', tag, scope: 'apps:read', summary: 'One channel (URL-encode the id’s / as %2F)', params: channelParams, responses: { 200: { description: view }, ...errors(...common, 404) } },
    { method: 'delete', path: '/live-activities/channels/:channel_id', tag, scope: 'apps:write', summary: 'Delete a channel at Apple, then here (one Apple no longer knows is deleted here all the same)', params: channelParams, responses: { 204: { description: 'Deleted' }, ...errors(...common, 404, 422) } },
  ];
}
