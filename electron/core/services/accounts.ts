import type { PetrelContract } from '../../../shared/contract';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { AccountService } from '../accounts/service';

export function registerAccountServices(server: RpcServer<PetrelContract>, accounts: AccountService): void {
  server
    .handle({
      'accounts.discover': async ({ email }) => ({ configs: await accounts.discover(email) }),
      'accounts.verify': ({ draft, password, smtpPassword }) => accounts.verify(draft, { password, smtpPassword }),
      'accounts.add': ({ draft, password, smtpPassword, force }) => accounts.add(draft, { password, smtpPassword }, force),
      'accounts.list': async () => ({ accounts: await accounts.list() }),
      'accounts.update': ({ id, patch, force }) => accounts.update(id, patch, force),
      'accounts.setPassword': ({ id, password, smtpPassword, force }) =>
        accounts.setPassword(id, { password, smtpPassword }, force),
      'accounts.remove': async ({ id }) => ({ removed: await accounts.remove(id) }),
      'accounts.reorder': async ({ ids }) => {
        await accounts.reorder(ids);
        return {};
      },
    })
    .provide({
      'accounts.changed': (_params, emit, { fail }) => {
        // The current list first, then every change.
        accounts.list().then((list) => emit({ accounts: list }), fail);
        return accounts.onChange((list) => emit({ accounts: list }));
      },
    });
}
