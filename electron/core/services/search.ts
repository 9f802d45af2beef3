import type { PetrelContract } from '../../../shared/contract';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { Logger } from '../log';
import { ServerSearchService, type SearchAccounts } from '../search';

/**
 * `search.server`: IMAP UID SEARCH on a connection of the search service's own. A cancelled
 * call (a newer query superseded it, or the window went away) is answered at once.
 * Returns the service so the engine can close its connections on shutdown.
 */
export function registerSearchServices(server: RpcServer<PetrelContract>, accounts: SearchAccounts, log: Logger): ServerSearchService {
  const search = new ServerSearchService({ accounts, log: log.child('search') });
  server.handle({
    'search.server': (params, { signal }) => search.search(params, signal),
  });
  return search;
}
