import Type from 'typebox'
import { Text } from '../../http/text.ts'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) =>
  Type.Union([schema, Type.Null()])

const EventState = Type.Union([
  Type.Literal('queued'),
  Type.Literal('processed'),
  Type.Literal('ignored'),
  Type.Literal('orphaned'),
  Type.Literal('retrying'),
  Type.Literal('dead'),
])

export const WebhookReceiptSchema = Type.Object({
  received: Type.Literal(true),
  event_id: Type.String(),
  duplicate: Type.Boolean(),
})

export const DeliveriesQuerySchema = Type.Object(
  {
    limit: Type.Optional(Text({ pattern: '^[1-9][0-9]{0,2}$' })),
    state: Type.Optional(EventState),
  },
  { additionalProperties: false },
)

export const WebhookEventViewSchema = Type.Object({
  id: Type.String(),
  webhook_type: Type.String(),
  webhook_code: Type.String(),
  item_id: Nullable(Type.String()),
  environment: Type.String(),
  verification: Type.Object({ key_id: Type.String(), issued_at: Type.String() }),
  received_at: Type.String(),
  delivery_count: Type.Integer(),
  state: EventState,
  attempts: Type.Integer(),
  last_error: Nullable(Type.String()),
  outcome: Nullable(Type.String()),
  processed_at: Nullable(Type.String()),
})

export const DeliveriesViewSchema = Type.Object({
  events: Type.Array(WebhookEventViewSchema),
  counts: Type.Record(Type.String(), Type.Integer()),
})

export const RedriveParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
)

export const RedriveResultSchema = Type.Object({ id: Type.String(), state: EventState })

export const ReconcileQueuedSchema = Type.Object({ queued: Type.Literal(true) })
