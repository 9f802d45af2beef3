import { z } from 'zod';
import { event, method } from './define';

export const TransportKindSchema = z.enum(['electron', 'websocket', 'memory']);
export type TransportKind = z.infer<typeof TransportKindSchema>;

export const AppInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  protocolVersion: z.number().int(),
  transport: TransportKindSchema,
  platform: z.string(),
  startedAt: z.number(),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

/** App-level methods: who is serving, and a round trip to prove the pipe works. */
export const appMethods = {
  'app.info': method(z.object({}).strict(), AppInfoSchema),
  'app.ping': method(
    z.object({ text: z.string().max(1000) }).strict(),
    z.object({ text: z.string(), receivedAt: z.number() }),
  ),
} as const;

export const appEvents = {
  /** A periodic beat; the renderer uses it to notice a stalled connection. */
  'app.heartbeat': event(
    z.object({ intervalMs: z.number().int().min(50).max(60_000) }).strict(),
    z.object({ seq: z.number().int(), at: z.number() }),
  ),
} as const;
