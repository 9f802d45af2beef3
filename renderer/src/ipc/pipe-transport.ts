import { Listeners, type Transport } from '../../../shared/ipc/transport';
import { isEndFrame, parsePipeFrame, type PetrelPipe } from '../../../shared/ipc/pipe';

/**
 * The renderer end of the Electron transport, over the preload's pipe. Each call is a
 * new session (see PipeFrame): the Connection calls it again after every failure, and
 * the main process then serves the new session on a fresh RPC connection.
 */
export function createPipeTransport(pipe: PetrelPipe, sessionId: string = crypto.randomUUID()): Transport {
  const messages = new Listeners<[unknown]>();
  const closes = new Listeners<[string]>();
  let closed = false;

  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    stopListening();
    closes.emit(reason);
    messages.clear();
    closes.clear();
  };

  const stopListening = pipe.onMessage((raw) => {
    const frame = parsePipeFrame(raw);
    // Frames of other sessions (older ones still draining, or a sibling) are not ours.
    if (!frame || frame.s !== sessionId || closed) return;
    if (isEndFrame(frame)) finish(frame.end);
    else messages.emit(frame.m);
  });

  return {
    send(message) {
      if (closed) throw new Error('transport closed');
      pipe.send({ s: sessionId, m: message });
    },
    onMessage: (listener) => messages.add(listener),
    onClose: (listener) => closes.add(listener),
    close(reason = 'closed') {
      if (closed) return;
      try {
        // Tell the main process, so it cancels this session's calls and subscriptions.
        pipe.send({ s: sessionId, end: reason });
      } catch {
        // The page is going away; the main process closes the session on navigation anyway.
      }
      finish(reason);
    },
  };
}
