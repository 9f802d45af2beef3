import type { WebSocket } from 'ws';
import { Listeners, type Transport } from '../../shared/ipc/transport';

/** How often the server pings; a peer that misses a pong by the next ping is gone. */
const KEEPALIVE_MS = 20_000;

/**
 * The server side of the WebSocket transport: JSON text frames, one message each.
 * Pings the browser so a silently dead socket is closed and its subscriptions end.
 */
export function websocketServerTransport(socket: WebSocket): Transport {
  const messages = new Listeners<[unknown]>();
  const closes = new Listeners<[string]>();
  let alive = true;
  const keepalive = setInterval(() => {
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, KEEPALIVE_MS);
  keepalive.unref();
  socket.on('pong', () => {
    alive = true;
  });
  socket.on('message', (data, isBinary) => {
    alive = true;
    if (isBinary) {
      socket.close(1003, 'text frames only');
      return;
    }
    let message: unknown;
    try {
      message = JSON.parse(data.toString());
    } catch {
      socket.close(1007, 'invalid JSON');
      return;
    }
    messages.emit(message);
  });
  socket.on('close', (code, reason) => {
    clearInterval(keepalive);
    closes.emit(reason.toString() || `socket closed (${code})`);
    closes.clear();
  });
  socket.on('error', () => {
    // 'close' follows; nothing else to do, but an unhandled 'error' would crash the host.
  });
  return {
    send(message) {
      if (socket.readyState !== socket.OPEN) throw new Error('socket not open');
      socket.send(JSON.stringify(message));
    },
    onMessage: (l) => messages.add(l),
    onClose: (l) => closes.add(l),
    close(reason = 'closed') {
      socket.close(1000, reason.slice(0, 120));
    },
  };
}
