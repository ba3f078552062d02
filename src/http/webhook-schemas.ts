import { z } from 'zod';
import { WEBHOOK_EVENTS } from '../webhooks/events';
import { queryWholeNumber } from './token-schemas';

const events = z.array(z.enum(WEBHOOK_EVENTS, { error: `must be one of ${WEBHOOK_EVENTS.join(', ')}` })).min(1, 'must name at least one event').max(WEBHOOK_EVENTS.length);
const url = z.string().min(1).max(2048);
const description = z.string().max(512);

export const webhookParams = z.strictObject({ webhook_id: z.string().regex(/^ep_[0-9a-f]{24}$/, 'is not a webhook endpoint id') });
export const createWebhookBody = z.strictObject({ url, events, description: description.optional() });
export const updateWebhookBody = z
  .strictObject({ url: url.optional(), events: events.optional(), description: description.nullable().optional(), disabled: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, 'must change at least one of url, events, description, disabled');
export const attemptsQuery = z.strictObject({ limit: queryWholeNumber({ min: 1, max: 100, default: 20 }), cursor: z.string().regex(/^[0-9a-f]{24}$/, 'is not a cursor this service gave').optional() });
