/**
 * The real app under measurement: the built Node host (bench/host.ts) and the React app
 * in Debian's Chromium, driven by Playwright. Account setup goes through the UI
 * (PetrelApp.addAccount, discovery from the autoconfig server).
 *
 * What is observed, without touching the product:
 * - the page's RPC WebSocket frames (Playwright): when `accounts.add` was answered, when
 *   `sync.resume` went out, when a folder's `cursor` delta arrived;
 * - the page's DOM and IndexedDB (page-scripts.ts), timed inside the page;
 * - the host's RSS from /proc, the renderer's JS heap through CDP (Runtime.getHeapUsage);
 * - when the engine's INBOX connection went back to IDLE (imap-probe.mjs).
 */
import { mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import type { CDPSession, Page } from '@playwright/test';
import type { MailServers, MailUser } from '../e2e/mailserver/mailserver';
import { launchBrowser } from '../e2e/support/browser';
import { PetrelApp } from '../e2e/support/fixtures';
import type { RunningHost } from '../e2e/support/host';
import { withTimeout } from './baselines';
import { startBenchHost, type BenchHost } from './host';
import { INSTALL, OFFLINE_LIMIT } from './page-scripts';

/** Tall enough that the newest 50 rows (74 px each) are on screen at once. */
export const VIEWPORT = { width: 1280, height: 3900 };

export interface AppEnv {
  servers: MailServers;
  autoconfigUrl: string;
  workDir: string;
  /** Extra node flags for the host (e.g. --cpu-prof). */
  hostNodeArgs?: string[];
}

interface FrameEvents {
  resumeSent: number[];
  /** `messages.bodies` requests (the offline download). */
  bodiesSent: number[];
  /** Bodies in the answers to `messages.bodies` (counted in the frames, not in IndexedDB). */
  bodiesReceived: number;
  /** Characters received on the RPC socket. */
  receivedChars: number;
  /** accounts.add answers: when, and the account id. */
  added: { at: number; accountId: string }[];
  cursors: { at: number; accountId: string; path: string; highestModseq: string | null }[];
}

/** A cursor delta in a sync batch frame, as the engine writes it (shared/contract/sync.ts: flat fields). */
const CURSOR_DELTA = /\{"kind":"cursor","cursor":(\{[^{}]*\})\}/g;

export class AppSession {
  crashed = false;
  readonly frames: FrameEvents = { resumeSent: [], bodiesSent: [], bodiesReceived: 0, receivedChars: 0, added: [], cursors: [] };
  private readonly addIds = new Set<number>();
  private readonly bodyIds = new Set<number>();

  private constructor(
    readonly env: AppEnv,
    public host: BenchHost,
    readonly page: Page,
    readonly cdp: CDPSession,
    private readonly closeBrowser: () => Promise<void>,
  ) {
    page.on('crash', () => {
      this.crashed = true;
      process.stderr.write('The app page crashed (renderer process gone)\n');
    });
    // BENCH_CONSOLE=TEXT: the page's console lines containing TEXT (temporary tracing; see README).
    const echo = process.env.BENCH_CONSOLE;
    if (echo) {
      page.on('console', (m) => {
        if (m.text().includes(echo)) process.stdout.write(`  [page ${Date.now()}] ${m.text()}\n`);
      });
    }
    page.on('websocket', (ws) => {
      if (!ws.url().includes('/rpc')) return;
      ws.on('framesent', ({ payload }) => this.sent(String(payload)));
      ws.on('framereceived', ({ payload }) => this.received(String(payload)));
    });
  }

  /** A fresh host (new data folder unless given) and a fresh browser profile, app opened. */
  static async open(env: AppEnv, dataDir?: string): Promise<AppSession> {
    const dir = dataDir ?? (await mkdtemp(path.join(env.workDir, 'data-')));
    const host = await startBenchHost({ dataDir: dir, env: hostEnv(env), nodeArgs: env.hostNodeArgs ?? [] });
    const browser = await launchBrowser();
    const page = await browser.context.newPage();
    await page.setViewportSize(VIEWPORT);
    const cdp = await browser.context.newCDPSession(page);
    // From the first script of every load: the cursor watcher must see cursors stored right after a reload.
    await page.addInitScript(OFFLINE_LIMIT);
    await page.addInitScript(INSTALL);
    const session = new AppSession(env, host, page, cdp, browser.close);
    await session.watchWorkers();
    await session.goto();
    return session;
  }

  private async goto(): Promise<void> {
    await this.petrel().open();
    await this.page.evaluate(INSTALL);
  }

  petrel(): PetrelApp {
    const h = this.host;
    // PetrelApp reads only the URL; the cast keeps this working as RunningHost grows.
    const running = { url: h.url, origin: new URL(h.url).origin, dataDir: h.dataDir, log: h.log, exited: h.exited, stop: h.stop };
    return new PetrelApp(this.page, running as RunningHost);
  }

  /**
   * Closes the app and stops the host, runs `between` (e.g. changes by another client),
   * starts the host on the same data and port (IndexedDB belongs to the origin, port
   * included) and opens the app again.
   */
  async restartHost(between?: () => Promise<void>): Promise<void> {
    await this.page.goto('about:blank');
    const port = Number(new URL(this.host.url).port);
    await this.host.stop();
    await between?.();
    this.host = await startBenchHost({ dataDir: this.host.dataDir, port, env: hostEnv(this.env), nodeArgs: this.env.hostNodeArgs ?? [] });
    await this.goto();
  }

  async close(): Promise<void> {
    await this.closeBrowser().catch(() => undefined);
    await this.host.stop();
  }

  /** Adds the account through the UI; returns its id and when the host answered `accounts.add`. */
  async addAccount(user: MailUser): Promise<{ accountId: string; addedAt: number }> {
    const before = this.frames.added.length;
    await this.petrel().addAccount({ name: user.name, email: user.address, password: user.password });
    const added = this.frames.added[before];
    if (!added) throw new Error('accounts.add was not seen on the WebSocket');
    return { accountId: added.accountId, addedAt: added.at };
  }

  /** Lets the offline body download run in this tab from the next load on (see OFFLINE_LIMIT). */
  async allowOfflineBodies(): Promise<void> {
    await this.page.evaluate(() => sessionStorage.setItem('petrel-bench-offline', '1'));
  }

  /** Messages of the folder the offline download wants (reads every record: call once). */
  bodiesWanted(accountId: string, folder: string, maxBytes: number): Promise<number> {
    return this.page.evaluate(([a, p, m]) => (window as unknown as BenchWindow).__bench.bodiesWanted(a, p, m), [accountId, folder, maxBytes] as const);
  }

  bodiesStored(accountId: string, folder: string): Promise<number> {
    return this.page.evaluate(([a, p]) => (window as unknown as BenchWindow).__bench.bodiesStored(a, p), [accountId, folder] as const);
  }

  /** The search worker's latest status and the number of messages cached. */
  searchIndexState(): Promise<{ status: { indexed: number; version: number; phase: string; wall: number } | null; total: number }> {
    return this.page.evaluate(() => (window as unknown as BenchWindow).__bench.searchIndexState());
  }

  /** `countMs`: until the result count showed (the worker answered); `ms`: until the result rows showed. */
  search(query: string, timeoutMs: number): Promise<SearchTiming> {
    return this.page.evaluate(([q, ms]) => (window as unknown as BenchWindow).__bench.search(q, ms), [query, timeoutMs] as const);
  }

  /** The JS heaps of the page's workers (the search index lives in one), after a GC, MB. */
  async workerHeapsMb(): Promise<number> {
    let total = 0;
    for (const sessionId of this.workerSessions) {
      await this.inWorker(sessionId, 'HeapProfiler.collectGarbage');
      const usage = (await this.inWorker(sessionId, 'Runtime.getHeapUsage')) as { usedSize?: number } | undefined;
      total += usage?.usedSize ?? 0;
    }
    return total / 1048576;
  }

  private workerSessions = new Set<string>();
  private workerCalls = new Map<number, (result: unknown) => void>();
  private workerCallId = 0;

  /** Follows the page's workers through CDP target sessions (Playwright's CDPSession has no flat child sessions). */
  private async watchWorkers(): Promise<void> {
    this.cdp.on('Target.attachedToTarget', (e) => {
      if (e.targetInfo.type === 'worker') this.workerSessions.add(e.sessionId);
    });
    this.cdp.on('Target.detachedFromTarget', (e) => {
      this.workerSessions.delete(e.sessionId);
    });
    this.cdp.on('Target.receivedMessageFromTarget', (e) => {
      const m = JSON.parse(e.message) as { id?: number; result?: unknown };
      if (m.id !== undefined) this.workerCalls.get(m.id)?.(m.result);
    });
    await this.cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  }

  private inWorker(sessionId: string, method: string): Promise<unknown> {
    const id = ++this.workerCallId;
    const answer = new Promise<unknown>((resolve) => this.workerCalls.set(id, resolve));
    void this.cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) }).catch(() => this.workerCalls.get(id)?.(undefined));
    return withTimeout(answer, 10_000, `${method} in a worker`).finally(() => this.workerCalls.delete(id));
  }

  /** What the page shows, for error messages: the lists and their first rows. */
  async describe(): Promise<string> {
    if (this.crashed) return '(the page crashed)';
    return this.page
      .evaluate(() =>
        Array.from(document.querySelectorAll('[role="listbox"]'))
          .map((l) => {
            const rows = Array.from(l.querySelectorAll('[role="option"]'))
              .slice(0, 3)
              .map((o) => `#${o.getAttribute('aria-posinset')} ${o.getAttribute('aria-label')}`);
            return `${l.getAttribute('aria-label')}: ${rows.join(' | ')}`;
          })
          .join('\n'),
      )
      .catch((e: unknown) => `(page not readable: ${String(e)})`);
  }

  // -- page helpers ---------------------------------------------------------------------

  /** Page time at which rows from..to of the list (first list, or the one titled `listPrefix...`) are shown. */
  whenRows(from: number, to: number, contains: string | null, timeoutMs: number, listPrefix: string | null = null): Promise<number> {
    return this.page.evaluate(([l, f, t, c, ms]) => (window as unknown as BenchWindow).__bench.whenRows(l, f, t, c, ms), [listPrefix, from, to, contains, timeoutMs] as const);
  }

  /**
   * The first cursor of `folder` (of `accountId`, or any account) stored in IndexedDB at or
   * after `after` (page time), with a HIGHESTMODSEQ other than `modseqNot` if given, as the
   * page's cursor watcher saw it.
   */
  async cursorStored(accountId: string | null, folder: string, after: number, modseqNot: string | null, timeoutMs: number): Promise<CursorSeen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const log = await this.page.evaluate(() => (window as unknown as BenchWindow).__bench.cursorLog(0));
      const hit = log.find(
        (c) =>
          c.at >= after &&
          c.path === folder &&
          (accountId === null || c.accountId === accountId) &&
          (modseqNot === null || c.highestModseq !== modseqNot),
      );
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`No cursor for ${folder} stored within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  cursorOf(accountId: string, folder: string): Promise<{ highestModseq: string | null; uidNext: number } | null> {
    return this.page.evaluate(([a, p]) => (window as unknown as BenchWindow).__bench.cursorOf(a, p), [accountId, folder] as const);
  }

  countOf(accountId: string, folder: string): Promise<number> {
    return this.page.evaluate(([a, p]) => (window as unknown as BenchWindow).__bench.countOf(a, p), [accountId, folder] as const);
  }

  arm(key: string, listPrefix: string, text: string, timeoutMs: number): Promise<void> {
    return this.page.evaluate(([k, l, t, ms]) => (window as unknown as BenchWindow).__bench.arm(k, l, t, ms), [key, listPrefix, text, timeoutMs] as const);
  }

  armed(key: string): Promise<number> {
    return this.page.evaluate((k) => (window as unknown as BenchWindow).__bench.armed(k), key);
  }

  openFolder(accountId: string, name: string, rows: number, timeoutMs: number): Promise<{ at: number; ms: number }> {
    return this.page.evaluate(([a, n, r, ms]) => (window as unknown as BenchWindow).__bench.openFolder(a, n, r, ms), [accountId, name, rows, timeoutMs] as const);
  }

  openUnified(rows: number, timeoutMs: number): Promise<{ ms: number }> {
    return this.page.evaluate(([r, ms]) => (window as unknown as BenchWindow).__bench.openUnified(r, ms), [rows, timeoutMs] as const);
  }

  jumpToMiddle(listPrefix: string, timeoutMs: number): Promise<{ ms: number; first: number }> {
    return this.page.evaluate(([l, ms]) => (window as unknown as BenchWindow).__bench.jumpToMiddle(l, ms), [listPrefix, timeoutMs] as const);
  }

  /** The renderer's used JS heap, MB (optionally after a full GC). */
  async heapMb(gc = false): Promise<number> {
    if (gc) await this.cdp.send('HeapProfiler.collectGarbage');
    const { usedSize } = await this.cdp.send('Runtime.getHeapUsage');
    return usedSize / 1048576;
  }

  /** Samples host RSS and renderer heap every `ms` until stopped; returns the peaks. */
  sampleMemory(ms = 250): { stop(): Promise<{ hostPeakMb: number; heapPeakMb: number }> } {
    let heapPeakMb = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        heapPeakMb = Math.max(heapPeakMb, await this.heapMb().catch(() => 0));
        await new Promise((r) => setTimeout(r, ms));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
        return { hostPeakMb: this.host.memory().peakMb, heapPeakMb };
      },
    };
  }

  /** When the next `cursor` delta for the folder arrives after `after` (engine side: the WebSocket). */
  async cursorFrameAfter(accountId: string, folder: string, after: number, timeoutMs: number): Promise<number> {
    const find = () => this.frames.cursors.find((c) => c.at >= after && c.accountId === accountId && c.path === folder)?.at;
    return withTimeout(
      (async () => {
        for (;;) {
          const at = find();
          if (at !== undefined) return at;
          await new Promise((r) => setTimeout(r, 20));
        }
      })(),
      timeoutMs,
      `the cursor of ${folder}`,
    );
  }

  // -- frames -----------------------------------------------------------------------------

  private sent(payload: string): void {
    if (payload.includes('"sync.resume"')) this.frames.resumeSent.push(Date.now());
    if (payload.includes('"messages.bodies"')) {
      this.frames.bodiesSent.push(Date.now());
      const msg = JSON.parse(payload) as { id?: number; method?: string };
      if (msg.method === 'messages.bodies' && typeof msg.id === 'number') this.bodyIds.add(msg.id);
    }
    if (payload.includes('"accounts.add"')) {
      const msg = JSON.parse(payload) as { id?: number; method?: string };
      if (msg.method === 'accounts.add' && typeof msg.id === 'number') this.addIds.add(msg.id);
    }
  }

  private received(payload: string): void {
    const at = Date.now();
    this.frames.receivedChars += payload.length;
    if (this.addIds.size > 0 && payload.startsWith('{"t":"res"')) {
      const msg = JSON.parse(payload) as { id: number; ok: boolean; result?: { saved?: boolean; account?: { id: string } } };
      if (this.addIds.delete(msg.id) && msg.result?.account) this.frames.added.push({ at, accountId: msg.result.account.id });
    }
    if (this.bodyIds.size > 0) {
      // Each body carries one "attachments" list (a body's attachments carry none).
      const id = /^\{"t":"res","id":(\d+)/.exec(payload.slice(0, 40))?.[1];
      if (id !== undefined && this.bodyIds.delete(Number(id))) this.frames.bodiesReceived += payload.split('"attachments":').length - 1;
    }
    // Every batch of a first sync but the last carries a (partial) cursor: the cursors are
    // picked out of the frame (flat objects) rather than parsing megabytes of JSON on the
    // benchmark's side, which would compete with the app for the two cores.
    if (!payload.includes('"kind":"cursor"')) return;
    type Cursor = { accountId: string; path: string; highestModseq: string | null; partialBelow?: number };
    let cursors: Cursor[] = [...payload.matchAll(CURSOR_DELTA)].map((m) => JSON.parse(m[1]!) as Cursor);
    if (cursors.length === 0) {
      // A folder name with braces in it: the whole frame, then.
      const msg = JSON.parse(payload) as { data?: { deltas?: { kind: string; cursor?: Cursor }[] } };
      cursors = (msg.data?.deltas ?? []).flatMap((d) => (d.kind === 'cursor' && d.cursor ? [d.cursor] : []));
    }
    for (const c of cursors) if (c.partialBelow === undefined) this.frames.cursors.push({ at, accountId: c.accountId, path: c.path, highestModseq: c.highestModseq });
  }
}

/** One query in the search box, ms from entering it; `worker`: when it was sent to the search worker and answered, and the worker's own time. */
export interface SearchTiming {
  ms: number;
  countMs: number;
  worker: { sentMs: number; answeredMs: number; tookMs: number } | null;
  count: string;
  indexing: boolean;
}

export interface CursorSeen {
  at: number;
  accountId: string;
  path: string;
  highestModseq: string | null;
  uidNext: number;
}

interface BenchWindow {
  __bench: {
    cursorLog(from: number): CursorSeen[];
    whenRows(listPrefix: string | null, from: number, to: number, contains: string | null, timeoutMs: number): Promise<number>;
    cursorOf(accountId: string, path: string): Promise<{ highestModseq: string | null; uidNext: number } | null>;
    countOf(accountId: string, path: string): Promise<number>;
    arm(key: string, listPrefix: string, text: string, timeoutMs: number): void;
    armed(key: string): Promise<number>;
    openFolder(accountId: string, name: string, rows: number, timeoutMs: number): Promise<{ at: number; ms: number }>;
    jumpToMiddle(listPrefix: string, timeoutMs: number): Promise<{ ms: number; first: number }>;
    openUnified(rows: number, timeoutMs: number): Promise<{ ms: number }>;
    bodiesWanted(accountId: string, path: string, maxBytes: number): Promise<number>;
    bodiesStored(accountId: string, path: string): Promise<number>;
    search(query: string, timeoutMs: number): Promise<SearchTiming>;
    searchIndexState(): Promise<{ status: { indexed: number; version: number; phase: string; wall: number } | null; total: number }>;
  };
}

function hostEnv(env: AppEnv): NodeJS.ProcessEnv {
  return { PETREL_AUTOCONFIG_URL: env.autoconfigUrl, NODE_EXTRA_CA_CERTS: env.servers.caCertPath };
}
