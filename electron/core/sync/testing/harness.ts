/**
 * Drives a SyncEngine against the test mail servers for the integration tests: an engine
 * wired to a ReferenceModel, quiet logs, short timings, and waits that compare the model
 * with the server's real state (UID and flags of every message).
 */
import type { ImapFlow } from 'imapflow';
import { expect } from 'vitest';
import type { FolderCursor } from '../../../../shared/contract';
import type { MailServers } from '../../../../e2e/mailserver/mailserver';
import { createLogger } from '../../log';
import { SyncEngine, type SyncEngineOptions } from '../sync-engine';
import { serverState, testAccount } from './mail-store';
import { ReferenceModel } from './model';

/** Timings for tests: everything a production default waits seconds for happens in a fraction. */
export const FAST: Partial<SyncEngineOptions> = {
  pollIntervalMs: 250,
  notifyPollIntervalMs: 250,
  livenessMs: 3000,
  probeTimeoutMs: 3000,
  rescanMs: 1000,
  backoff: { baseMs: 100, maxMs: 1000, permanentMs: 60_000 },
};

export interface Harness {
  engine: SyncEngine;
  model: ReferenceModel;
  accountId: string;
  logs: string[];
  close(): Promise<void>;
}

export function startEngine(
  servers: MailServers,
  userName: string,
  options: Partial<SyncEngineOptions> & { model?: ReferenceModel; account?: ReturnType<typeof testAccount> } = {},
): Harness {
  const { model = new ReferenceModel(), account = testAccount(servers, userName), ...engineOptions } = options;
  const logs: string[] = [];
  const engine = new SyncEngine({
    log: createLogger('test', (line) => {
      logs.push(line);
      // PETREL_SYNC_LOG=1 shows the engine's log while debugging a test.
      if (process.env.PETREL_SYNC_LOG) process.stderr.write(line);
    }),
    getAccounts: async () => [account],
    ...FAST,
    ...engineOptions,
  });
  // seq increases within one engine's life; a new engine (app restart) starts over.
  model.lastSeq = 0;
  engine.onBatch((b) => model.apply(b));
  return { engine, model, accountId: account.account.id, logs, close: () => engine.close() };
}

export async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000, intervalMs = 25): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Differences between the model and the server for one folder (empty when in sync). */
export async function folderDiff(model: ReferenceModel, accountId: string, client: ImapFlow, path: string): Promise<string[]> {
  const server = await serverState(client, path);
  const mine = model.flagView(accountId, path);
  const diffs: string[] = [];
  for (const [uid, m] of server.messages) {
    const got = mine.get(uid);
    if (!got) diffs.push(`missing UID ${uid}`);
    else if (got.join(' ') !== m.flags.join(' ')) diffs.push(`UID ${uid}: flags ${got.join(' ')} instead of ${m.flags.join(' ')}`);
  }
  for (const uid of mine.keys()) if (!server.messages.has(uid)) diffs.push(`extra UID ${uid}`);
  const cursor = model.cursor(accountId, path);
  if (!cursor) diffs.push('no cursor');
  else if (cursor.uidValidity !== server.uidValidity) diffs.push(`cursor UIDVALIDITY ${cursor.uidValidity} instead of ${server.uidValidity}`);
  else if (cursor.partialBelow !== undefined) diffs.push(`initial sync under way (stored from UID ${cursor.partialBelow} up)`);
  return diffs;
}

/** Waits until the model holds exactly what the server holds in these folders. */
export async function waitInSync(h: Harness, client: ImapFlow, paths: readonly string[], timeoutMs = 20_000): Promise<void> {
  let last: string[] = [];
  try {
    await until(
      `${paths.join(', ')} in sync`,
      async () => {
        last = [];
        for (const p of paths) for (const d of await folderDiff(h.model, h.accountId, client, p)) last.push(`${p}: ${d}`);
        return last.length === 0;
      },
      timeoutMs,
      100,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}\n${last.slice(0, 20).join('\n')}${last.length > 20 ? `\n... ${last.length} differences` : ''}`, { cause: e });
  }
  expect(h.model.problems).toEqual([]);
}

/** A deep copy of the renderer's cursors, to replay from later. */
export function snapshotCursors(model: ReferenceModel): FolderCursor[] {
  return model.cursorList().map((c) => ({ ...c }));
}
