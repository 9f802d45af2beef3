/**
 * The measurements through the app. Each returns plain numbers; run.ts files them
 * under metric names. Times are wall-clock (Date.now(): the host, the page and this
 * process share the machine's clock) unless measured inside the page alone.
 */
import path from 'node:path';
import type { MailServers, MailUser } from '../e2e/mailserver/mailserver';
import { AppSession, type AppEnv, type SearchTiming } from './app';
import { imapClient, type Deliver } from './baselines';
import { cpuMeter, rendererRssMb } from './cpu';
import type { CpuProfile, ProfileStopper } from './profile';
import { percentile } from './report';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

export interface InitialSyncResult {
  session: AppSession;
  accountId: string;
  first50Ms: number;
  headersMs: number;
  engineDoneMs: number;
  /** Until the search worker had indexed every message. */
  searchIndexedMs: number;
  hostPeakMb: number;
  heapPeakMb: number;
  heapAfterGcMb: number;
  hostRssAfterMb: number;
  cached: number;
  rendererProfile: CpuProfile | null;
  /** CPU ms by process from the account's addition until every header was stored. */
  cpu: Record<string, number>;
}

/** A fresh host and browser; the account is added through the UI and its INBOX synced from nothing. */
export async function initialSync(
  env: AppEnv,
  user: MailUser,
  expected: { count: number; newestSubject: string },
  profiler?: (session: AppSession) => Promise<ProfileStopper>,
): Promise<InitialSyncResult> {
  const timeout = 120_000 + expected.count * 5;
  const session = await AppSession.open(env);
  try {
    const stopProfile = profiler ? await profiler(session) : null;
    const memory = session.sampleMemory();
    const cpu = cpuMeter(() => ({ hostPid: session.host.pid, dovecotTag: path.basename(env.servers.dir) }));
    // Armed before the account exists: the rows may show before addAccount() returns.
    const first50 = session.whenRows(1, Math.min(50, expected.count), expected.newestSubject, timeout);
    first50.catch(() => undefined);
    const { accountId, addedAt } = await session.addAccount(user);
    const shownAt = await first50;
    const stored = await session.cursorStored(accountId, 'INBOX', addedAt, null, timeout);
    const cpuUsed = cpu.stop();
    const peaks = await memory.stop();
    const rendererProfile = stopProfile ? await stopProfile() : null;
    const indexedAt = await searchIndexed(session, expected.count, timeout);
    const frame = session.frames.cursors.find((c) => c.accountId === accountId && c.path === 'INBOX');
    const cached = await session.countOf(accountId, 'INBOX');
    if (cached !== expected.count) throw new Error(`INBOX holds ${cached} messages in IndexedDB after the sync, expected ${expected.count}`);
    await sleep(1000);
    return {
      session,
      accountId,
      first50Ms: shownAt - addedAt,
      headersMs: stored.at - addedAt,
      engineDoneMs: (frame?.at ?? NaN) - addedAt,
      searchIndexedMs: indexedAt - addedAt,
      hostPeakMb: peaks.hostPeakMb,
      heapPeakMb: peaks.heapPeakMb,
      heapAfterGcMb: await session.heapMb(true),
      hostRssAfterMb: session.host.memory().rssMb,
      cached,
      rendererProfile,
      cpu: cpuUsed,
    };
  } catch (e) {
    const shown = await session.describe();
    await session.close();
    throw new Error(`${e instanceof Error ? e.message : String(e)}\nThe page showed:\n${shown}`, { cause: e });
  }
}

/**
 * The app closed and opened again (host restarted, page reloaded), nothing changed:
 * from the page's `sync.resume` to the engine's INBOX connection idling again (it
 * checked INBOX and found it unchanged; no delta says so, see imap-probe.mjs).
 */
export async function resyncNoChange(session: AppSession, accountId: string): Promise<{ ms: number; fromOpenMs: number }> {
  const k = session.frames.resumeSent.length;
  const before = session.frames.cursors.length;
  const openedAt = Date.now();
  await session.restartHost();
  const resumeAt = await waitFor('sync.resume', 30_000, () => session.frames.resumeSent[k]);
  const idleAt = await waitFor('the INBOX connection to idle', 60_000, () => session.host.inboxIdles(accountId).find((t) => t >= resumeAt));
  await sleep(300); // a cursor delta, if any, would follow the sync at once
  const resent = session.frames.cursors.slice(before).some((c) => c.accountId === accountId && c.path === 'INBOX');
  if (resent) throw new Error('The unchanged INBOX was synced again (a cursor delta came): not a no-change resync');
  return { ms: idleAt - resumeAt, fromOpenMs: idleAt - openedAt };
}

/** Another client flips \Flagged on `n` messages of INBOX (set on odd calls, cleared on even ones). */
export class FlagFlipper {
  private uids: number[] | null = null;
  private set = true;

  constructor(
    private readonly servers: MailServers,
    private readonly user: MailUser,
    private readonly n: number,
  ) {}

  async flip(): Promise<void> {
    const client = imapClient(this.servers, this.user);
    await client.connect();
    try {
      await client.mailboxOpen('INBOX');
      if (!this.uids) {
        const unflagged = (await client.search({ flagged: false }, { uid: true })) || [];
        const step = Math.max(1, Math.floor(unflagged.length / this.n));
        this.uids = unflagged.filter((_, i) => i % step === 0).slice(0, this.n);
      }
      const range = this.uids.join(',');
      const ok = this.set
        ? await client.messageFlagsAdd(range, ['\\Flagged'], { uid: true })
        : await client.messageFlagsRemove(range, ['\\Flagged'], { uid: true });
      if (!ok) throw new Error('STORE failed');
      this.set = !this.set;
    } finally {
      await client.logout().catch(() => client.close());
    }
  }

  get changed(): number {
    return this.uids?.length ?? 0;
  }
}

/** As resyncNoChange, after another client changed flags while the app was closed: until the new cursor is in IndexedDB. */
export async function resyncAfterFlags(session: AppSession, accountId: string, flipper: FlagFlipper): Promise<{ ms: number; engineMs: number }> {
  const before = await session.cursorOf(accountId, 'INBOX');
  const k = session.frames.resumeSent.length;
  await session.restartHost(() => flipper.flip());
  const resumeAt = await waitFor('sync.resume', 30_000, () => session.frames.resumeSent[k]);
  const stored = await session.cursorStored(accountId, 'INBOX', resumeAt, before?.highestModseq ?? null, 60_000);
  const frame = await session.cursorFrameAfter(accountId, 'INBOX', resumeAt, 5_000);
  return { ms: stored.at - resumeAt, engineMs: frame - resumeAt };
}

/** Clicks Archive, then Inbox: until its newest 50 rows show; then scrolls to the middle: until the rows there show. */
export async function folderOpen(session: AppSession, accountId: string, other: string): Promise<{ openMs: number; middleMs: number; searchPhase: string }> {
  await session.openFolder(accountId, other, 1, 30_000);
  await sleep(300);
  const open = await session.openFolder(accountId, 'Inbox', 50, 30_000);
  await sleep(300);
  const middle = await session.jumpToMiddle('Messages in Inbox ', 30_000);
  // What the search worker was doing (after a restart it checks its saved index against every record).
  const searchPhase = (await session.searchIndexState()).status?.phase ?? 'not started';
  await sleep(300);
  return { openMs: open.ms, middleMs: middle.ms, searchPhase };
}

/**
 * The unified inbox (every account's INBOX merged, renderer/src/db/unified-inbox.ts): click
 * "All inboxes" after `other`, then scroll to its middle.
 */
export async function unifiedOpen(session: AppSession, accountId: string, other: string): Promise<{ openMs: number; middleMs: number }> {
  await session.openFolder(accountId, other, 1, 30_000);
  await sleep(300);
  const open = await session.openUnified(50, 30_000);
  await sleep(300);
  const middle = await session.jumpToMiddle('Messages in All inboxes', 30_000);
  await sleep(300);
  return { openMs: open.ms, middleMs: middle.ms };
}

/** Shows a folder's list from its top (opening `other` first: the list keeps its scroll position otherwise). */
export async function showFolder(session: AppSession, accountId: string, name: string, other: string): Promise<void> {
  await session.openFolder(accountId, other, 1, 30_000);
  await session.openFolder(accountId, name, 1, 30_000);
}

/** One push scenario: from delivery to the row, and for INBOX that time split where EXISTS reached the engine. */
export interface PushResult {
  p50: number;
  p95: number;
  values: number[];
  /** Delivery → EXISTS on the engine's INBOX connection, per sample that had one (the server's part). */
  server: number[];
  /** EXISTS on the engine's connection → row visible, same samples (the app's part). */
  app: number[];
}

/**
 * `samples` messages, one at a time: from the server accepting each to its row showing in the
 * open folder. With `notified` (the times the engine received EXISTS), each sample is also
 * split at the first EXISTS after the delivery, so the app's own part is measured per message
 * rather than as the difference of two medians taken minutes apart.
 */
export async function push(
  session: AppSession,
  accountId: string,
  folderName: string,
  other: string,
  deliver: Deliver,
  samples: number,
  tag: string,
  pauseMs: number,
  notified?: () => number[],
): Promise<PushResult> {
  await showFolder(session, accountId, folderName, other);
  const values: number[] = [];
  const server: number[] = [];
  const app: number[] = [];
  for (let k = 0; k < samples; k++) {
    const subject = `Push probe ${folderName} ${tag}.${k} ${Math.random().toString(36).slice(2, 8)}`;
    await session.arm(subject, `Messages in ${folderName} `, subject, 60_000);
    const accepted = await deliver(subject);
    const shown = await session.armed(subject);
    values.push(shown - accepted);
    const exists = notified?.().find((t) => t >= accepted && t <= shown);
    if (exists !== undefined) {
      server.push(exists - accepted);
      app.push(shown - exists);
    }
    // A random pause: deliveries must not fall into step with the engine's STATUS poll.
    await sleep(200 + Math.floor(Math.random() * pauseMs));
  }
  return { p50: percentile(values, 50), p95: percentile(values, 95), values, server, app };
}

/** Adds an account through the UI and waits until its INBOX is synced. */
export async function addAndSync(session: AppSession, user: MailUser, count: number): Promise<string> {
  const { accountId, addedAt } = await session.addAccount(user);
  await session.cursorStored(accountId, 'INBOX', addedAt, null, 120_000 + count * 5);
  return accountId;
}

/** The offline download's default limit (renderer/src/db/body-prefetch.ts): bigger messages wait until opened. */
export const OFFLINE_MAX_BYTES = 32 * 1024 * 1024;

/**
 * The background download of bodies for offline reading, as the app runs it: a fresh app,
 * the account added and synced with the download held off, then the app reopened with
 * it allowed. From its first `messages.bodies` request to every wanted body (messages up
 * to 32 MB) stored in IndexedDB.
 */
export interface OfflineBodiesResult {
  ms: number;
  /** From the same start until the search index had every stored body (its last change before 6 s of quiet). */
  searchableMs: number;
  stored: number;
  wanted: number;
  /** CPU seconds by process from the reload to the last body stored. */
  cpu: Record<string, number>;
  rendererProfile: CpuProfile | null;
}

export async function offlineBodies(
  env: AppEnv,
  user: MailUser,
  count: number,
  profiler?: (session: AppSession) => Promise<ProfileStopper>,
): Promise<OfflineBodiesResult> {
  const session = await AppSession.open(env);
  try {
    const { accountId, addedAt } = await session.addAccount(user);
    await session.cursorStored(accountId, 'INBOX', addedAt, null, 120_000 + count * 5);
    const wanted = await session.bodiesWanted(accountId, 'INBOX', OFFLINE_MAX_BYTES);
    await session.allowOfflineBodies();
    const k = session.frames.bodiesSent.length;
    const cpu = cpuMeter(() => ({ hostPid: session.host.pid, dovecotTag: path.basename(env.servers.dir) }));
    await session.page.reload();
    const stopProfile = profiler ? await profiler(session) : null;
    const started = await waitFor('the first messages.bodies request', 60_000, () => session.frames.bodiesSent[k]);
    const deadline = Date.now() + 120_000 + count * 100;
    // Counting stored bodies reads through the whole bodies store (100+ MB here) each time:
    // polled only once the answers held every wanted body (or stopped coming for 5 s).
    let seen = -1;
    let seenAt = Date.now();
    while (session.frames.bodiesReceived < wanted && Date.now() - seenAt < 5000 && Date.now() < deadline) {
      if (session.frames.bodiesReceived !== seen) [seen, seenAt] = [session.frames.bodiesReceived, Date.now()];
      await sleep(50);
    }
    for (;;) {
      const stored = await session.bodiesStored(accountId, 'INBOX');
      if (stored >= wanted) {
        const ms = Date.now() - started;
        const used = cpu.stop();
        const rendererProfile = stopProfile ? await stopProfile() : null;
        // Then until the search index has taken every body in: quiet for longer than the
        // worker's longest wait for a burst of writes to pause (burstQuietMaxMs, 5 s).
        const indexedAt = await searchIndexed(session, 0, 120_000 + count * 20, 6000);
        return { ms, searchableMs: Math.max(ms, indexedAt - started), stored, wanted, cpu: used, rendererProfile };
      }
      if (Date.now() > deadline) throw new Error(`Only ${stored} of ${wanted} bodies were stored in time`);
      await sleep(50);
    }
  } finally {
    await session.close();
  }
}

/**
 * When the search worker had indexed every cached message (at least `atLeast`), by its own
 * status messages: it indexes new mail as the sync writes it, and lags behind a big sync.
 * With `quietMs`, also waits until its index has not changed for that long.
 */
export async function searchIndexed(session: AppSession, atLeast: number, timeoutMs: number, quietMs = 0): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let version = -1;
  let since = Date.now();
  // When the index last changed: the page's clock at the first status naming its version.
  let changedAt = 0;
  for (;;) {
    const { status, total } = await session.searchIndexState();
    if (status && status.version !== version) {
      version = status.version;
      since = Date.now();
      changedAt = status.wall;
    }
    if (status && status.phase === 'ready' && total >= atLeast && status.indexed >= total && Date.now() - since >= quietMs) return changedAt;
    if (Date.now() > deadline) throw new Error(`The search index holds ${status?.indexed ?? 0} of ${total} messages after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Waits until the search index holds every message and is quiet, then times each query typed into the search box. */
export async function searchQueries(session: AppSession, queries: readonly string[], timeoutMs: number): Promise<Array<SearchTiming & { query: string }>> {
  await searchIndexed(session, 0, timeoutMs, 2000);
  const out: Array<SearchTiming & { query: string }> = [];
  for (const query of queries) {
    const r = await session.search(query, 30_000);
    if (r.indexing) throw new Error('The search index was rebuilding during the queries');
    out.push({ query, ...r });
  }
  await session.search('', 30_000).catch(() => undefined);
  return out;
}

/** Host RSS and the renderer's memory once everything is synced and quiet (heaps after a GC). */
export async function atRest(session: AppSession): Promise<{ hostRssMb: number; heapMb: number; workerHeapMb: number; rendererRssMb: number | null }> {
  await sleep(3000);
  return {
    hostRssMb: session.host.memory().rssMb,
    heapMb: await session.heapMb(true),
    workerHeapMb: await session.workerHeapsMb(),
    rendererRssMb: rendererRssMb(),
  };
}
