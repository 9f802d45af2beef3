import type { PetrelContract } from '../../../shared/contract';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { SyncEngine } from '../sync';

export function registerSyncServices(server: RpcServer<PetrelContract>, sync: SyncEngine): void {
  server
    .handle({
      'sync.resume': async ({ cursors }) => {
        // Resuming runs in the background; deltas flow through the subscription.
        void sync.resume(cursors);
        return {};
      },
      'sync.applied': ({ seq }) => {
        sync.applied(seq);
        return {};
      },
      'sync.now': async ({ accountId }) => {
        await sync.syncNow(accountId);
        return {};
      },
      'sync.networkChanged': () => {
        sync.networkChanged();
        return {};
      },
      'messages.body': (ref) => sync.fetchBody(ref),
      'messages.bodies': async ({ uids, sizes, ...folder }) => ({ bodies: await sync.fetchBodies(folder, uids, sizes) }),
    })
    .provide({
      'sync.deltas': (_params, emit) => sync.onBatch(emit),
      'accounts.status': (_params, emit) => {
        emit({ statuses: sync.statuses() });
        return sync.onStatus((statuses) => emit({ statuses }));
      },
    });
}
