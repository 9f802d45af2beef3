import type { PetrelContract } from '../../../shared/contract';
import type { RpcServer } from '../../../shared/ipc/rpc-server';
import type { Logger } from '../log';
import { fetchRemoteImages } from '../remote/fetch-images';

export function registerRemoteServices(server: RpcServer<PetrelContract>, log: Logger): void {
  server.handle({
    'remote.images': async ({ urls }) => ({ images: await fetchRemoteImages(urls, log) }),
  });
}
