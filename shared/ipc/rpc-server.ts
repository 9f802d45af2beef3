import { PetrelError, toErrorData, type ErrorData } from '../errors';
import type {
  Contract,
  EventDataIn,
  EventName,
  EventParamsOut,
  MethodName,
  ParamsOut,
  ResultIn,
} from '../contract/define';
import { ClientMessageSchema, PROTOCOL_VERSION, type ServerMessage } from './protocol';
import type { Transport } from './transport';
import { parseOrThrow } from '../validate';

export interface CallContext {
  /** Aborted when the caller cancels or the connection closes. */
  readonly signal: AbortSignal;
  /** Which connection made the call (stable for its lifetime). */
  readonly connectionId: number;
}

export type MethodHandler<C extends Contract, M extends MethodName<C>> = (
  params: ParamsOut<C, M>,
  ctx: CallContext,
) => Promise<ResultIn<C, M>> | ResultIn<C, M>;

/**
 * Starts an event source for one subscriber. `emit` sends an event; `fail` ends the
 * subscription with an error. Returns the function that stops the source.
 */
export type EventSource<C extends Contract, E extends EventName<C>> = (
  params: EventParamsOut<C, E>,
  emit: (data: EventDataIn<C, E>) => void,
  ctx: CallContext & { fail: (error: unknown) => void },
) => () => void;

export type MethodHandlers<C extends Contract> = { [M in MethodName<C>]?: MethodHandler<C, M> };
export type EventSources<C extends Contract> = { [E in EventName<C>]?: EventSource<C, E> };

export interface RpcServerOptions {
  name: string;
  /** Called with errors that are not PetrelErrors (bugs); never sent to the peer. */
  onInternalError?: (error: unknown, where: string) => void;
}

/**
 * Serves a contract on any number of transports. Handlers are registered once and
 * shared by every connection, whichever transport carries it.
 */
export class RpcServer<C extends Contract> {
  private readonly methods = new Map<string, MethodHandler<C, MethodName<C>>>();
  private readonly events = new Map<string, EventSource<C, EventName<C>>>();
  private readonly connections = new Set<Connection<C>>();
  private nextConnectionId = 1;

  constructor(
    readonly contract: C,
    readonly options: RpcServerOptions,
  ) {}

  handle(handlers: MethodHandlers<C>): this {
    for (const [name, handler] of Object.entries(handlers)) {
      if (!(name in this.contract.methods)) throw new Error(`Unknown method ${name}`);
      if (this.methods.has(name)) throw new Error(`Method ${name} registered twice`);
      this.methods.set(name, handler as MethodHandler<C, MethodName<C>>);
    }
    return this;
  }

  provide(sources: EventSources<C>): this {
    for (const [name, source] of Object.entries(sources)) {
      if (!(name in this.contract.events)) throw new Error(`Unknown event ${name}`);
      if (this.events.has(name)) throw new Error(`Event ${name} registered twice`);
      this.events.set(name, source as EventSource<C, EventName<C>>);
    }
    return this;
  }

  /** Serves one connection until its transport closes. */
  attach(transport: Transport): void {
    const conn = new Connection(this, transport, this.nextConnectionId++);
    this.connections.add(conn);
    transport.onClose(() => {
      conn.dispose();
      this.connections.delete(conn);
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** @internal */
  methodHandler(name: string): MethodHandler<C, MethodName<C>> | undefined {
    return this.methods.get(name);
  }

  /** @internal */
  eventSource(name: string): EventSource<C, EventName<C>> | undefined {
    return this.events.get(name);
  }

  /** @internal */
  reportInternal(error: unknown, where: string): void {
    if (error instanceof PetrelError) return;
    this.options.onInternalError?.(error, where);
  }
}

class Connection<C extends Contract> {
  private greeted = false;
  private readonly calls = new Map<number, AbortController>();
  private readonly subs = new Map<number, { stop: () => void; abort: AbortController }>();
  private disposed = false;

  constructor(
    private readonly server: RpcServer<C>,
    private readonly transport: Transport,
    private readonly id: number,
  ) {
    transport.onMessage((raw) => this.receive(raw));
  }

  private send(msg: ServerMessage): void {
    if (this.disposed) return;
    try {
      this.transport.send(msg);
    } catch (e) {
      this.server.reportInternal(e, 'send');
    }
  }

  private receive(raw: unknown): void {
    const parsed = ClientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      // A peer that speaks nonsense is not one we serve.
      this.refuse({ code: 'BAD_REQUEST', message: 'Malformed protocol message.' });
      return;
    }
    const msg = parsed.data;
    if (msg.t === 'hello') {
      if (msg.v !== PROTOCOL_VERSION) {
        this.refuse({
          code: 'PROTOCOL_MISMATCH',
          message: `This Petrel engine speaks protocol ${PROTOCOL_VERSION} but the window speaks ${msg.v}. Reload the window or update Petrel.`,
          details: { server: PROTOCOL_VERSION, client: msg.v },
        });
        return;
      }
      this.greeted = true;
      this.send({ t: 'welcome', v: PROTOCOL_VERSION, server: this.server.options.name });
      return;
    }
    if (!this.greeted) {
      this.refuse({ code: 'PROTOCOL_MISMATCH', message: 'The peer did not say hello first.' });
      return;
    }
    switch (msg.t) {
      case 'req':
        void this.call(msg.id, msg.method, msg.params);
        return;
      case 'cancel':
        this.calls.get(msg.id)?.abort(new PetrelError('CANCELLED', 'Cancelled by the caller.'));
        return;
      case 'sub':
        this.subscribe(msg.id, msg.event, msg.params);
        return;
      case 'unsub':
        this.unsubscribe(msg.id);
        return;
    }
  }

  private refuse(error: ErrorData): void {
    this.send({ t: 'bye', error });
    this.transport.close(error.code);
  }

  private async call(id: number, method: string, rawParams: unknown): Promise<void> {
    const abort = new AbortController();
    this.calls.set(id, abort);
    try {
      const spec = this.server.contract.methods[method];
      const handler = this.server.methodHandler(method);
      if (!spec || !handler) throw new PetrelError('METHOD_NOT_FOUND', `No method named ${method}.`);
      const params = parseOrThrow(spec.params, rawParams, `parameters for ${method}`);
      const value = await handler(params as ParamsOut<C, MethodName<C>>, {
        signal: abort.signal,
        connectionId: this.id,
      });
      abort.signal.throwIfAborted();
      // Validate what we send too: a handler bug must not reach the renderer as bad data.
      const result = parseOrThrow(spec.result, value, `result of ${method}`);
      this.send({ t: 'res', id, ok: true, result });
    } catch (e) {
      const error = abort.signal.aborted && !(e instanceof PetrelError) ? abort.signal.reason : e;
      this.server.reportInternal(error, method);
      this.send({ t: 'res', id, ok: false, error: toErrorData(error) });
    } finally {
      this.calls.delete(id);
    }
  }

  private subscribe(id: number, name: string, rawParams: unknown): void {
    const abort = new AbortController();
    let stop: () => void = () => undefined;
    let ended = false;
    const end = (error: unknown) => {
      if (ended) return;
      ended = true;
      this.server.reportInternal(error, name);
      this.subs.delete(id);
      abort.abort();
      try {
        stop();
      } catch (e) {
        this.server.reportInternal(e, `${name} stop`);
      }
      this.send({ t: 'subend', id, error: toErrorData(error) });
    };
    try {
      const spec = this.server.contract.events[name];
      const source = this.server.eventSource(name);
      if (!spec || !source) throw new PetrelError('EVENT_NOT_FOUND', `No event named ${name}.`);
      const params = parseOrThrow(spec.params, rawParams, `parameters for ${name}`);
      this.subs.set(id, { stop: () => stop(), abort });
      stop = source(
        params as EventParamsOut<C, EventName<C>>,
        (data) => {
          if (ended || this.disposed) return;
          this.send({ t: 'evt', id, data });
        },
        { signal: abort.signal, connectionId: this.id, fail: end },
      );
      this.send({ t: 'res', id, ok: true, result: null });
    } catch (e) {
      this.server.reportInternal(e, name);
      this.subs.delete(id);
      this.send({ t: 'res', id, ok: false, error: toErrorData(e) });
    }
  }

  private unsubscribe(id: number): void {
    const sub = this.subs.get(id);
    if (!sub) return;
    this.subs.delete(id);
    sub.abort.abort();
    try {
      sub.stop();
    } catch (e) {
      this.server.reportInternal(e, 'unsubscribe');
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const c of this.calls.values()) c.abort(new PetrelError('DISCONNECTED', 'The window disconnected.'));
    this.calls.clear();
    for (const id of [...this.subs.keys()]) this.unsubscribe(id);
  }
}
