import { caseSensitiveRouter } from './router';
import { recordRouteParams } from './request-context';
import type { Router } from 'express';
import type { DeviceRegistry } from '../tokens/device-registry';
import type { TokenRegistry } from '../tokens/token-registry';
import { parseOrThrow } from '../validation';
import { principalOf, requireScope } from './auth';
import { mayReadTokens } from '../auth/principal';
import { deviceParams, listDevicesQuery, personParams, registerDeviceBody } from './device-schemas';

/** Flameup's Devices API: /api/v1/people/:person_id/devices. */
export function deviceRoutes(devices: DeviceRegistry, tokens: TokenRegistry): Router {
  const router = caseSensitiveRouter();
  recordRouteParams(router, ['person_id', 'token']);
  // The same user tokens act here for person_id: read:user-tokens to list, write:user-tokens to register or delete.
  const read = requireScope('devices:read', 'person_id');
  const write = requireScope('devices:write', 'person_id');

  router.post('/api/v1/people/:person_id/devices', write, async (req, res) => {
    const { person_id } = parseOrThrow(personParams, req.params);
    const body = parseOrThrow(registerDeviceBody, req.body ?? {});
    const principal = principalOf(res);
    const { created, device } = await devices.register(principal.workspaceId, person_id, body, { withKeys: mayReadTokens(principal) });
    res.status(created ? 201 : 200).json(device);
  });

  router.get('/api/v1/people/:person_id/devices', read, async (req, res) => {
    const { person_id } = parseOrThrow(personParams, req.params);
    const query = parseOrThrow(listDevicesQuery, req.query);
    const principal = principalOf(res);
    res.json(await devices.list(principal.workspaceId, person_id, query, { withKeys: mayReadTokens(principal) }));
  });

  router.delete('/api/v1/people/:person_id/devices/:token', write, async (req, res) => {
    const { person_id, token } = parseOrThrow(deviceParams, req.params);
    await tokens.delete(principalOf(res).workspaceId, person_id, token);
    res.status(204).end();
  });

  return router;
}
