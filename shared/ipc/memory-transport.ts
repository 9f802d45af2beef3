import { Listeners, type Transport } from './transport';

/**
 * Two connected in-memory transports, for unit tests. Messages are deep-copied
 * through JSON and delivered asynchronously, as a real pipe would.
 */
export function createMemoryTransportPair(): [Transport, Transport] {
  const a = new MemoryEnd();
  const b = new MemoryEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

class MemoryEnd implements Transport {
  peer: MemoryEnd | undefined;
  private closed = false;
  private readonly messages = new Listeners<[unknown]>();
  private readonly closes = new Listeners<[string]>();

  send(message: unknown): void {
    if (this.closed) throw new Error('transport closed');
    const copy: unknown = JSON.parse(JSON.stringify(message));
    const peer = this.peer;
    queueMicrotask(() => {
      if (peer && !peer.closed) peer.messages.emit(copy);
    });
  }

  onMessage(listener: (message: unknown) => void): () => void {
    return this.messages.add(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.closes.add(listener);
  }

  close(reason = 'closed'): void {
    if (this.closed) return;
    this.closed = true;
    this.closes.emit(reason);
    // Like a socket, messages already sent arrive before the peer hears the close.
    const peer = this.peer;
    queueMicrotask(() => peer?.close(reason));
  }
}
