import { z } from 'zod';
import { ErrorDataSchema } from '../errors';

/**
 * The wire protocol under the RPC layer. Bump PROTOCOL_VERSION on any change a peer
 * of the previous version could misread; the handshake refuses mismatches with
 * PROTOCOL_MISMATCH instead of failing later in obscure ways.
 */
export const PROTOCOL_VERSION = 1;

const Id = z.number().int().nonnegative();
const Name = z.string().min(1).max(100);

export const HelloSchema = z.object({ t: z.literal('hello'), v: z.number().int(), client: z.string().max(100) });
export const RequestSchema = z.object({ t: z.literal('req'), id: Id, method: Name, params: z.unknown() });
export const CancelSchema = z.object({ t: z.literal('cancel'), id: Id });
export const SubscribeSchema = z.object({ t: z.literal('sub'), id: Id, event: Name, params: z.unknown() });
export const UnsubscribeSchema = z.object({ t: z.literal('unsub'), id: Id });

export const ClientMessageSchema = z.discriminatedUnion('t', [
  HelloSchema,
  RequestSchema,
  CancelSchema,
  SubscribeSchema,
  UnsubscribeSchema,
]);
export type ClientMessage = z.infer<typeof ClientMessageSchema>;

export const WelcomeSchema = z.object({ t: z.literal('welcome'), v: z.number().int(), server: z.string() });
export const ResponseSchema = z.union([
  z.object({ t: z.literal('res'), id: Id, ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('res'), id: Id, ok: z.literal(false), error: ErrorDataSchema }),
]);
export const EventMessageSchema = z.object({ t: z.literal('evt'), id: Id, data: z.unknown() });
/** The server ended a subscription (its source failed or the event does not exist). */
export const SubscriptionEndSchema = z.object({ t: z.literal('subend'), id: Id, error: ErrorDataSchema });
/** Sent before the server closes a connection it will not serve. */
export const ByeSchema = z.object({ t: z.literal('bye'), error: ErrorDataSchema });

export const ServerMessageSchema = z.union([
  WelcomeSchema,
  ResponseSchema,
  EventMessageSchema,
  SubscriptionEndSchema,
  ByeSchema,
]);
export type ServerMessage = z.infer<typeof ServerMessageSchema>;
