import type { PetrelContract } from '../../../shared/contract';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { OutboxService } from '../outbox';

/**
 * Sending and drafts. Submits deliberately ignore the call's abort signal: once a submission
 * has started it runs to its end even if the window goes away, and the journal lets the
 * renderer learn the outcome later (outbox.status, or submitting again, which is idempotent).
 */
export function registerOutboxServices(server: RpcServer<PetrelContract>, outbox: OutboxService): void {
  server.handle({
    'outbox.build': (input) => outbox.build(input),
    'outbox.submit': (params) => outbox.submit(params),
    'outbox.status': ({ accountId, messageId }) => outbox.status(accountId, messageId),
    'drafts.save': ({ message, replaces }) => outbox.saveDraft(message, replaces),
    'drafts.remove': async ({ ref }) => ({ removed: await outbox.removeDraft(ref) }),
  });
}
