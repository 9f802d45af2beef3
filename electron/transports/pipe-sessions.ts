import { Listeners, type Transport } from '../../shared/ipc/transport';
import { isEndFrame, parsePipeFrame, type PipeFrame } from '../../shared/ipc/pipe';

export interface PipeSessionsOptions {
  /** Sends a frame to the page (a no-op once the page is gone). */
  send(frame: PipeFrame): void;
  /** A new session started: serve it (`server.attach`). */
  onSession(transport: Transport): void;
  /** Live sessions one page may hold; the oldest is closed beyond it. */
  maxSessions?: number;
}

/** Ended session ids remembered per page, so late frames of them are dropped. */
const REMEMBER_ENDED = 64;

/**
 * The main-process end of the pipe for one page, without Electron (so it is unit
 * tested): a frame of an unknown session opens it as a new Transport, an `end` frame
 * or `closeAll` closes it, and frames of ended sessions are dropped.
 */
export class PipeSessions {
  private readonly live = new Map<string, PipeSession>();
  private readonly ended = new Set<string>();

  constructor(private readonly options: PipeSessionsOptions) {}

  /** A frame from the page, whose sender is already checked. Returns false if dropped. */
  receive(raw: unknown): boolean {
    const frame = parsePipeFrame(raw);
    if (!frame) return false;
    const session = this.live.get(frame.s);
    if (isEndFrame(frame)) {
      this.remember(frame.s);
      session?.finish(frame.end, false);
      return true;
    }
    if (session) {
      session.deliver(frame.m);
      return true;
    }
    if (this.ended.has(frame.s)) return false;
    const max = this.options.maxSessions ?? 8;
    for (const old of [...this.live.values()].slice(0, Math.max(0, this.live.size - max + 1))) {
      old.finish('too many sessions', true);
    }
    const created = new PipeSession(
      frame.s,
      (f) => this.options.send(f),
      () => {
        this.live.delete(frame.s);
        this.remember(frame.s);
      },
    );
    this.live.set(frame.s, created);
    this.options.onSession(created);
    created.deliver(frame.m);
    return true;
  }

  /** The page navigated, crashed or closed: end every session. */
  closeAll(reason: string, notify: boolean): void {
    for (const session of [...this.live.values()]) session.finish(reason, notify);
  }

  get size(): number {
    return this.live.size;
  }

  private remember(id: string): void {
    this.ended.add(id);
    if (this.ended.size > REMEMBER_ENDED) {
      const oldest = this.ended.values().next();
      if (!oldest.done) this.ended.delete(oldest.value);
    }
  }
}

class PipeSession implements Transport {
  private closed = false;
  private readonly messages = new Listeners<[unknown]>();
  private readonly closes = new Listeners<[string]>();

  constructor(
    private readonly id: string,
    private readonly sendFrame: (frame: PipeFrame) => void,
    private readonly onEnd: () => void,
  ) {}

  send(message: unknown): void {
    if (this.closed) throw new Error('transport closed');
    this.sendFrame({ s: this.id, m: message });
  }

  onMessage(listener: (message: unknown) => void): () => void {
    return this.messages.add(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.closes.add(listener);
  }

  close(reason = 'closed'): void {
    this.finish(reason, true);
  }

  deliver(message: unknown): void {
    if (!this.closed) this.messages.emit(message);
  }

  /** Ends the session; `notify` tells the page (not needed when the page ended it). */
  finish(reason: string, notify: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.onEnd();
    // The RPC server hears first, so it cancels calls and subscriptions before anything else.
    this.closes.emit(reason);
    this.messages.clear();
    this.closes.clear();
    if (notify) {
      try {
        this.sendFrame({ s: this.id, end: reason });
      } catch {
        // The page is gone.
      }
    }
  }
}
