import { PetrelError } from '../../../shared/errors';
import { Listeners, type Transport } from '../../../shared/ipc/transport';

/**
 * Opens the WebSocket transport to the Node host. Resolves once open; rejects with
 * DISCONNECTED when the host cannot be reached. (Browsers hide why an upgrade failed,
 * so the caller asks the host separately whether the token was the problem.)
 */
export function connectWebSocket(url: string): Promise<Transport> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url);
    const messages = new Listeners<[unknown]>();
    const closes = new Listeners<[string]>();
    let opened = false;
    socket.addEventListener('open', () => {
      opened = true;
      resolve({
        send(message) {
          if (socket.readyState !== WebSocket.OPEN) throw new Error('socket not open');
          socket.send(JSON.stringify(message));
        },
        onMessage: (l) => messages.add(l),
        onClose: (l) => closes.add(l),
        close(reason = 'closed') {
          socket.close(1000, reason.slice(0, 120));
        },
      });
    });
    socket.addEventListener('message', (e: MessageEvent) => {
      if (typeof e.data !== 'string') return;
      let message: unknown;
      try {
        message = JSON.parse(e.data);
      } catch {
        return;
      }
      messages.emit(message);
    });
    socket.addEventListener('close', (e: CloseEvent) => {
      if (!opened) {
        reject(new PetrelError('DISCONNECTED', 'Could not reach the Petrel engine.'));
        return;
      }
      closes.emit(e.reason || `socket closed (${e.code})`);
      closes.clear();
    });
  });
}
