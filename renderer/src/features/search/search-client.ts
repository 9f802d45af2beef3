/**
 * The UI side of the search worker: `search()` sends a query and resolves with its page;
 * starting another query supersedes the one in flight (it rejects with SearchCancelled and
 * the worker drops it), which is what "results as you type" needs.
 */
import type { ClientMessage, IndexStatus, SearchPage, ServerFolderHits, WorkerMessage } from './protocol';

/** A Worker, or (in tests) a MessagePort wired to an in-process core. */
export interface SearchPort {
  postMessage(message: ClientMessage): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}

export class SearchCancelled extends Error {
  constructor() {
    super('Superseded by a newer search.');
    this.name = 'SearchCancelled';
  }
}

export interface SearchOptions {
  offset?: number;
  limit?: number;
  server?: ServerFolderHits[];
  signal?: AbortSignal;
}

interface Pending {
  resolve: (page: SearchPage) => void;
  reject: (e: Error) => void;
}

export const DEFAULT_PAGE = 50;

export class SearchClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly statusListeners = new Set<(s: IndexStatus) => void>();
  private readonly flushWaiters: ((ms: number | null) => void)[] = [];
  private failure: string | null = null;
  private heardFrom = false;
  private current: IndexStatus = { phase: 'starting', indexed: 0, total: 0, version: 0, buildMs: null, restored: false };
  private readonly onMessage = (event: MessageEvent) => this.handle(event.data as WorkerMessage);

  constructor(
    private readonly port: SearchPort,
    dbName: string,
    private readonly onClose?: () => void,
  ) {
    port.addEventListener('message', this.onMessage);
    port.postMessage({ type: 'init', dbName });
  }

  get status(): IndexStatus {
    return this.current;
  }

  onStatus(listener: (s: IndexStatus) => void): () => void {
    this.statusListeners.add(listener);
    return () => this.statusListeners.delete(listener);
  }

  /** The worker died or never started: every search fails with `message` from now on. */
  fail(message: string): void {
    if (this.failure !== null) return;
    this.failure = message;
    this.current = { ...this.current, phase: 'failed', error: message };
    for (const l of this.statusListeners) l(this.current);
    for (const p of this.pending.values()) p.reject(new Error(message));
    this.pending.clear();
    for (const w of this.flushWaiters.splice(0)) w(null);
  }

  /** Runs a query; any query still in flight is cancelled (its promise rejects with SearchCancelled). */
  search(text: string, options: SearchOptions = {}): Promise<SearchPage> {
    if (this.failure !== null) return Promise.reject(new Error(this.failure));
    for (const [id, p] of this.pending) {
      this.port.postMessage({ type: 'cancel', id });
      p.reject(new SearchCancelled());
    }
    this.pending.clear();
    const id = this.nextId++;
    return new Promise<SearchPage>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new SearchCancelled());
        return;
      }
      options.signal?.addEventListener(
        'abort',
        () => {
          if (!this.pending.delete(id)) return;
          this.port.postMessage({ type: 'cancel', id });
          reject(new SearchCancelled());
        },
        { once: true },
      );
      this.pending.set(id, { resolve, reject });
      const msg: ClientMessage = {
        type: 'query',
        id,
        text,
        offset: options.offset ?? 0,
        limit: options.limit ?? DEFAULT_PAGE,
        ...(options.server ? { server: options.server } : {}),
      };
      this.port.postMessage(msg);
    });
  }

  /** Has the worker save its index now; resolves with the ms it took (null: nothing saves it). */
  flush(): Promise<number | null> {
    if (this.failure !== null) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve);
      this.port.postMessage({ type: 'flush' });
    });
  }

  close(): void {
    this.port.postMessage({ type: 'close' });
    this.port.removeEventListener('message', this.onMessage);
    for (const p of this.pending.values()) p.reject(new SearchCancelled());
    this.pending.clear();
    this.onClose?.();
  }

  /** The worker has sent something (so it loaded). */
  get heard(): boolean {
    return this.heardFrom;
  }

  private handle(msg: WorkerMessage): void {
    this.heardFrom = true;
    switch (msg.type) {
      case 'status':
        this.current = msg.status;
        for (const l of this.statusListeners) l(msg.status);
        break;
      case 'results': {
        const p = this.pending.get(msg.page.id);
        this.pending.delete(msg.page.id);
        p?.resolve(msg.page);
        break;
      }
      case 'flushed':
        this.flushWaiters.shift()?.(msg.ms);
        break;
      case 'cancelled': {
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.reject(new SearchCancelled());
        break;
      }
      case 'error': {
        if (msg.id === null) {
          console.error('search worker:', msg.message);
          break;
        }
        const p = this.pending.get(msg.id);
        this.pending.delete(msg.id);
        p?.reject(new Error(msg.message));
        break;
      }
    }
  }
}

/**
 * The app's search worker (Vite bundles search.worker.ts as a module worker). If it cannot
 * start, the client says so (status 'failed') and the rest of the app goes on without search.
 */
export function startSearchWorker(dbName: string): SearchClient {
  let worker: Worker;
  try {
    worker = new Worker(new URL('./search.worker.ts', import.meta.url), { type: 'module', name: 'petrel-search' });
  } catch (e) {
    const client = new SearchClient(NO_PORT, dbName);
    client.fail(`The search worker could not start: ${e instanceof Error ? e.message : String(e)}`);
    return client;
  }
  const client = new SearchClient(worker as unknown as SearchPort, dbName, () => worker.terminate());
  worker.addEventListener('error', (event) => {
    // Before its first word the worker did not load; later an error is a bug in one step
    // (the worker goes on).
    if (client.heard) {
      console.error('search worker:', event.message);
      return;
    }
    event.preventDefault();
    client.fail(`The search worker could not start${event.message ? `: ${event.message}` : '.'}`);
  });
  return client;
}

const NO_PORT: SearchPort = { postMessage: () => undefined, addEventListener: () => undefined, removeEventListener: () => undefined };
