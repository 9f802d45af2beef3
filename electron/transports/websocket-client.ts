import { WebSocket } from 'ws';
import { PetrelError } from '../../shared/errors';
import { Listeners, type Transport } from '../../shared/ipc/transport';

/**
 * A Node WebSocket client transport: what tests and benchmarks use to talk to the
 * host exactly as the browser does. Rejects with UNAUTHORIZED on a 401 upgrade.
 */
export function connectWebSocketNode(url: string, headers: Record<string, string> = {}): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    const messages = new Listeners<[unknown]>();
    const closes = new Listeners<[string]>();
    socket.on('unexpected-response', (_req, res) => {
      const status = res.statusCode ?? 0;
      reject(
        status === 401
          ? new PetrelError('UNAUTHORIZED', 'The host refused the token.')
          : new PetrelError('DISCONNECTED', `The host refused the connection (HTTP ${status}).`, { status }),
      );
      socket.terminate();
    });
    socket.on('error', (e) => reject(new PetrelError('DISCONNECTED', `Could not reach the host: ${e.message}`)));
    socket.on('message', (data) => {
      try {
        messages.emit(JSON.parse(data.toString()));
      } catch {
        // Not ours to parse; the RPC layer never sends anything but JSON.
      }
    });
    socket.on('close', (code, reason) => {
      closes.emit(reason.toString() || `socket closed (${code})`);
      closes.clear();
    });
    socket.on('open', () =>
      resolve({
        send: (m) => socket.send(JSON.stringify(m)),
        onMessage: (l) => messages.add(l),
        onClose: (l) => closes.add(l),
        close: (reason = 'closed') => socket.close(1000, reason.slice(0, 120)),
      }),
    );
  });
}
