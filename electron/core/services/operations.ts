import type { PetrelContract } from '../../../shared/contract';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { SyncEngine } from '../sync';

/** Message operations (the remote phase): run on the account's sync worker, ahead of any sync. */
export function registerOperationServices(server: RpcServer<PetrelContract>, sync: SyncEngine): void {
  server.handle({
    'ops.run': async ({ op }) => ({ result: await sync.runOperation(op) }),
  });
}
