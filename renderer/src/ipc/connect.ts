import { contract, type PetrelContract } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { Connection } from '../../../shared/ipc/connection';
import type { Transport } from '../../../shared/ipc/transport';
import { createPipeTransport } from './pipe-transport';
import { takeToken } from './token';
import { connectWebSocket } from './websocket-transport';

export type EngineConnection = Connection<PetrelContract>;

/**
 * Picks the transport: the preload's pipe inside Electron, otherwise the WebSocket to
 * the Node host with the token from the URL. Features only ever see the Connection.
 */
export function createEngineConnection(): EngineConnection {
  const pipe = window.petrelPipe;
  if (pipe) {
    return new Connection(contract, async () => createPipeTransport(pipe), { clientName: 'petrel-renderer/electron' });
  }
  const token = takeToken();
  return new Connection(contract, () => connectHost(token), { clientName: 'petrel-renderer/web' });
}

async function connectHost(token: string | null): Promise<Transport> {
  if (!token) {
    throw new PetrelError(
      'UNAUTHORIZED',
      'This page needs its access token. Open Petrel with the link that `npm run serve` printed.',
    );
  }
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:';
  try {
    return await connectWebSocket(`${proto}//${window.location.host}/rpc?token=${encodeURIComponent(token)}`);
  } catch (e) {
    // The browser hides why an upgrade failed; ask the host whether the token is the problem.
    const check = await fetch('/api/session', { headers: { authorization: `Bearer ${token}` } }).catch(() => null);
    if (check?.status === 401) {
      throw new PetrelError(
        'UNAUTHORIZED',
        'The Petrel host did not accept this page’s access token. It changes each time the host starts: open the new link it printed.',
      );
    }
    throw e;
  }
}
