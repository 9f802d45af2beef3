import { PetrelError } from '../errors';
import type {
  Contract,
  EventDataOut,
  EventName,
  EventParamsIn,
  MethodName,
  ParamsIn,
  ResultOut,
} from '../contract/define';
import { PROTOCOL_VERSION, ServerMessageSchema, type ClientMessage } from './protocol';
import type { Transport } from './transport';
import { parseOrThrow } from '../validate';

export interface CallOptions {
  signal?: AbortSignal;
  /** Reject with TIMEOUT after this long; the server is told to cancel. */
  timeoutMs?: number;
}

export interface SubscribeHandlers<D> {
  next: (data: D) => void;
  /** The subscription ended from the other side (error, or the connection closed). */
  error?: (error: PetrelError) => void;
}

interface PendingCall {
  resolve: (value: unknown) => void;
  reject: (error: PetrelError) => void;
}

interface ActiveSub {
  event: string;
  next: (data: unknown) => void;
  error?: (error: PetrelError) => void;
}

/**
 * The calling side of the RPC layer over one transport. Calls made before the
 * handshake completes wait for it; when the transport closes every pending call
 * fails with DISCONNECTED and every subscription is told.
 */
export class RpcClient<C extends Contract> {
  private nextId = 1;
  private readonly pending = new Map<number, PendingCall>();
  private readonly subs = new Map<number, ActiveSub>();
  private closedError: PetrelError | undefined;
  private readonly ready: Promise<string>;
  private readonly closeListeners = new Set<(error: PetrelError) => void>();

  constructor(
    readonly contract: C,
    private readonly transport: Transport,
    clientName = 'petrel-client',
  ) {
    let resolveReady!: (server: string) => void;
    let rejectReady!: (e: PetrelError) => void;
    this.ready = new Promise<string>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    // Avoid an unhandled rejection when nobody awaits `ready`.
    this.ready.catch(() => undefined);
    transport.onMessage((raw) => {
      const parsed = ServerMessageSchema.safeParse(raw);
      if (!parsed.success) return;
      const msg = parsed.data;
      switch (msg.t) {
        case 'welcome':
          resolveReady(msg.server);
          return;
        case 'bye': {
          const error = PetrelError.fromData(msg.error);
          rejectReady(error);
          this.shutdown(error);
          return;
        }
        case 'res': {
          const call = this.pending.get(msg.id);
          if (!call) return;
          this.pending.delete(msg.id);
          if (msg.ok) call.resolve(msg.result);
          else call.reject(PetrelError.fromData(msg.error));
          return;
        }
        case 'evt':
          this.subs.get(msg.id)?.next(msg.data);
          return;
        case 'subend': {
          const sub = this.subs.get(msg.id);
          this.subs.delete(msg.id);
          sub?.error?.(PetrelError.fromData(msg.error));
          return;
        }
      }
    });
    transport.onClose((reason) => {
      const error = new PetrelError('DISCONNECTED', `Lost the connection to the Petrel engine (${reason}).`);
      rejectReady(error);
      this.shutdown(error);
    });
    this.send({ t: 'hello', v: PROTOCOL_VERSION, client: clientName });
  }

  /** Resolves with the server's name once the handshake is done; rejects if refused. */
  handshake(): Promise<string> {
    return this.ready;
  }

  get closed(): boolean {
    return this.closedError !== undefined;
  }

  onClose(listener: (error: PetrelError) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  async call<M extends MethodName<C>>(
    method: M,
    params: ParamsIn<C, M>,
    options: CallOptions = {},
  ): Promise<ResultOut<C, M>> {
    const spec = this.contract.methods[method];
    if (!spec) throw new PetrelError('METHOD_NOT_FOUND', `No method named ${method}.`);
    await this.ready;
    if (this.closedError) throw this.closedError;
    options.signal?.throwIfAborted();
    const id = this.nextId++;
    const raw = await new Promise<unknown>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const cleanup = () => {
        if (timer !== undefined) clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      };
      const giveUp = (error: PetrelError) => {
        if (!this.pending.delete(id)) return;
        cleanup();
        this.trySend({ t: 'cancel', id });
        reject(error);
      };
      const onAbort = () => giveUp(new PetrelError('CANCELLED', `${method} was cancelled.`));
      this.pending.set(id, {
        resolve: (v) => {
          cleanup();
          resolve(v);
        },
        reject: (e) => {
          cleanup();
          reject(e);
        },
      });
      options.signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined) {
        timer = setTimeout(
          () => giveUp(new PetrelError('TIMEOUT', `${method} took longer than ${options.timeoutMs} ms.`)),
          options.timeoutMs,
        );
      }
      this.send({ t: 'req', id, method, params });
    });
    return parseOrThrow(spec.result, raw, `result of ${method}`) as ResultOut<C, M>;
  }

  /**
   * Subscribes to an event stream. Resolves with an unsubscribe function once the
   * server accepted; rejects if it refused (unknown event, bad parameters).
   */
  async subscribe<E extends EventName<C>>(
    event: E,
    params: EventParamsIn<C, E>,
    handlers: SubscribeHandlers<EventDataOut<C, E>>,
  ): Promise<() => void> {
    const spec = this.contract.events[event];
    if (!spec) throw new PetrelError('EVENT_NOT_FOUND', `No event named ${event}.`);
    await this.ready;
    if (this.closedError) throw this.closedError;
    const id = this.nextId++;
    this.subs.set(id, {
      event,
      next: (raw) => {
        const parsed = spec.data.safeParse(raw);
        // An event that does not match the contract is dropped, never half-applied.
        if (parsed.success) handlers.next(parsed.data as EventDataOut<C, E>);
      },
      error: handlers.error,
    });
    try {
      await new Promise<unknown>((resolve, reject) => {
        this.pending.set(id, { resolve, reject });
        this.send({ t: 'sub', id, event, params });
      });
    } catch (e) {
      this.subs.delete(id);
      throw e;
    }
    return () => {
      if (this.subs.delete(id)) this.trySend({ t: 'unsub', id });
    };
  }

  close(): void {
    this.transport.close('client closed');
  }

  private send(msg: ClientMessage): void {
    if (this.closedError) throw this.closedError;
    this.transport.send(msg);
  }

  private trySend(msg: ClientMessage): void {
    try {
      if (!this.closedError) this.transport.send(msg);
    } catch {
      // The connection is going away; the server drops everything for it anyway.
    }
  }

  private shutdown(error: PetrelError): void {
    if (this.closedError) return;
    this.closedError = error;
    for (const call of this.pending.values()) call.reject(error);
    this.pending.clear();
    const subs = [...this.subs.values()];
    this.subs.clear();
    for (const sub of subs) sub.error?.(error);
    for (const l of this.closeListeners) l(error);
  }
}
