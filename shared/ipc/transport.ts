/**
 * The one thing a transport does: carry JSON-compatible messages both ways and say
 * when it is closed. Everything else (calls, events, errors, versions) lives in the
 * RPC layer, so features never know which transport runs.
 */
export interface Transport {
  send(message: unknown): void;
  onMessage(listener: (message: unknown) => void): () => void;
  onClose(listener: (reason: string) => void): () => void;
  close(reason?: string): void;
}

/** A small listener set; returns an unsubscribe function from `add`. */
export class Listeners<A extends unknown[]> {
  private readonly set = new Set<(...args: A) => void>();

  add(listener: (...args: A) => void): () => void {
    this.set.add(listener);
    return () => {
      this.set.delete(listener);
    };
  }

  emit(...args: A): void {
    for (const l of [...this.set]) l(...args);
  }

  clear(): void {
    this.set.clear();
  }

  get size(): number {
    return this.set.size;
  }
}
