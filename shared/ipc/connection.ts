import { PetrelError, type ErrorData } from '../errors';
import type {
  Contract,
  EventDataOut,
  EventName,
  EventParamsIn,
  MethodName,
  ParamsIn,
  ResultOut,
} from '../contract/define';
import { RpcClient, type CallOptions, type SubscribeHandlers } from './rpc-client';
import type { Transport } from './transport';
import { Listeners } from './transport';

export type ConnectionStatus = 'connecting' | 'connected' | 'disconnected' | 'refused';

export interface ConnectionState {
  status: ConnectionStatus;
  /** Why we are not connected (absent while connected). */
  error?: ErrorData;
  /** Failed attempts since the last success. */
  attempt: number;
  /** When the next attempt starts (ms since epoch), while disconnected. */
  retryAt?: number;
  server?: string;
}

export interface ConnectionOptions {
  clientName: string;
  /** First retry delay; doubles each failure up to maxDelayMs, with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a call made while disconnected waits for the connection. */
  callWaitMs?: number;
  random?: () => number;
}

/** Errors after which retrying cannot help: the person must act. */
const FATAL: ReadonlySet<string> = new Set(['UNAUTHORIZED', 'PROTOCOL_MISMATCH']);

interface LiveSub {
  event: string;
  params: unknown;
  handlers: SubscribeHandlers<unknown>;
  stop?: () => void;
}

/**
 * A client that stays connected: it reconnects with exponential backoff and jitter,
 * re-subscribes every live subscription after a reconnect, and exposes its state so
 * the UI can show it. Features use this and never see a transport.
 */
export class Connection<C extends Contract> {
  private client: RpcClient<C> | undefined;
  private current: ConnectionState = { status: 'connecting', attempt: 0 };
  private readonly stateListeners = new Listeners<[ConnectionState]>();
  private readonly subs = new Set<LiveSub>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private readonly opts: Required<ConnectionOptions>;

  constructor(
    readonly contract: C,
    private readonly connect: () => Promise<Transport>,
    options: ConnectionOptions,
  ) {
    this.opts = {
      baseDelayMs: 250,
      maxDelayMs: 10_000,
      callWaitMs: 15_000,
      random: Math.random,
      ...options,
    };
    void this.attempt();
  }

  get state(): ConnectionState {
    return this.current;
  }

  onState(listener: (state: ConnectionState) => void): () => void {
    return this.stateListeners.add(listener);
  }

  /** Retry now (the network came back, the person clicked "Reconnect"). */
  retryNow(): void {
    if (this.stopped || this.current.status === 'connected' || this.current.status === 'connecting') return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    void this.attempt();
  }

  async call<M extends MethodName<C>>(
    method: M,
    params: ParamsIn<C, M>,
    options: CallOptions = {},
  ): Promise<ResultOut<C, M>> {
    const client = await this.connected(options.signal);
    return client.call(method, params, options);
  }

  /**
   * Subscribes for as long as the returned function is not called, across reconnects.
   * `handlers.error` hears when the server ends the subscription itself.
   */
  subscribe<E extends EventName<C>>(
    event: E,
    params: EventParamsIn<C, E>,
    handlers: SubscribeHandlers<EventDataOut<C, E>>,
  ): () => void {
    const sub: LiveSub = { event, params, handlers: handlers as SubscribeHandlers<unknown> };
    this.subs.add(sub);
    if (this.client && this.current.status === 'connected') void this.startSub(this.client, sub);
    return () => {
      this.subs.delete(sub);
      sub.stop?.();
      sub.stop = undefined;
    };
  }

  close(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.client?.close();
    this.setState({ status: 'disconnected', attempt: 0, error: { code: 'DISCONNECTED', message: 'Closed.' } });
  }

  private async startSub(client: RpcClient<C>, sub: LiveSub): Promise<void> {
    try {
      const stop = await client.subscribe(sub.event as EventName<C>, sub.params as never, {
        next: sub.handlers.next,
        error: (e) => {
          // A closed connection is ours to handle (we resubscribe); anything else is the feature's.
          if (e.code !== 'DISCONNECTED') sub.handlers.error?.(e);
        },
      });
      if (this.subs.has(sub)) sub.stop = stop;
      else stop();
    } catch (e) {
      if (e instanceof PetrelError && e.code === 'DISCONNECTED') return;
      sub.handlers.error?.(e instanceof PetrelError ? e : new PetrelError('INTERNAL', String(e)));
    }
  }

  private connected(signal?: AbortSignal): Promise<RpcClient<C>> {
    if (this.client && this.current.status === 'connected') return Promise.resolve(this.client);
    if (this.current.status === 'refused') {
      return Promise.reject(PetrelError.fromData(this.current.error ?? { code: 'DISCONNECTED', message: 'Refused.' }));
    }
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        off();
        signal?.removeEventListener('abort', onAbort);
      };
      const onAbort = () => {
        done();
        reject(new PetrelError('CANCELLED', 'Cancelled while waiting for the connection.'));
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new PetrelError('DISCONNECTED', 'The Petrel engine is not reachable. Petrel keeps trying to reconnect.'),
        );
      }, this.opts.callWaitMs);
      const off = this.onState((s) => {
        if (s.status === 'connected' && this.client) {
          done();
          resolve(this.client);
        } else if (s.status === 'refused') {
          done();
          reject(PetrelError.fromData(s.error ?? { code: 'DISCONNECTED', message: 'Refused.' }));
        }
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private setState(state: ConnectionState): void {
    this.current = state;
    this.stateListeners.emit(state);
  }

  private async attempt(): Promise<void> {
    if (this.stopped) return;
    const attempt = this.current.attempt;
    this.setState({ status: 'connecting', attempt, error: this.current.error });
    let client: RpcClient<C> | undefined;
    try {
      const transport = await this.connect();
      client = new RpcClient(this.contract, transport, this.opts.clientName);
      const server = await client.handshake();
      if (this.stopped) {
        client.close();
        return;
      }
      const live = client;
      this.client = live;
      live.onClose((error) => this.lost(live, error));
      this.setState({ status: 'connected', attempt: 0, server });
      for (const sub of this.subs) void this.startSub(client, sub);
    } catch (e) {
      client?.close();
      const error =
        e instanceof PetrelError
          ? e.toData()
          : { code: 'DISCONNECTED' as const, message: 'Could not reach the Petrel engine.' };
      this.failed(error, attempt + 1);
    }
  }

  private lost(client: RpcClient<C>, error: PetrelError): void {
    if (this.client !== client || this.stopped) return;
    this.client = undefined;
    for (const sub of this.subs) sub.stop = undefined;
    this.failed(error.toData(), 0);
  }

  private failed(error: ErrorData, attempt: number): void {
    if (FATAL.has(error.code)) {
      this.setState({ status: 'refused', attempt, error });
      return;
    }
    const cap = Math.min(this.opts.maxDelayMs, this.opts.baseDelayMs * 2 ** Math.min(attempt, 16));
    // Full jitter: many windows reconnecting at once must not retry in lockstep.
    const delay = Math.max(this.opts.baseDelayMs / 2, Math.round(cap * this.opts.random()));
    const retryAt = Date.now() + delay;
    this.setState({ status: 'disconnected', attempt, error, retryAt });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, delay);
  }
}
