/**
 * A first sync runs only a bounded way ahead of what the renderer reports stored
 * (DeliveryWindow), against Dovecot: with a renderer that stores slowly and reports each batch,
 * the headers sent and not yet reported never pass the window by more than one slice; with no
 * reports the engine runs ahead as before. Either way every message arrives.
 */
import type { ImapFlow } from 'imapflow';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SyncBatch } from '../../../shared/contract';
import { loadMailServersFromEnv, type MailServers } from '../../../e2e/mailserver/mailserver';
import { itemsOf } from './batcher';
import { startEngine, waitInSync, type Harness } from './testing/harness';
import { bulkInsert, otherClient } from './testing/mail-store';
import { testMessage } from './testing/messages';

const COUNT = 3000;
const SLICE = 400;
const WINDOW = 600;

describe('the delivery window', () => {
  let servers: MailServers;
  let other: ImapFlow | undefined;
  let h: Harness | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  beforeAll(async () => {
    servers = loadMailServersFromEnv();
    await servers.resetUser('alice');
    await bulkInsert(servers, 'alice', 'INBOX', Array.from({ length: COUNT }, (_, i) => ({ raw: testMessage(i).raw })));
  });

  afterEach(async () => {
    clearInterval(timer);
    await h?.close();
    h = undefined;
    await other?.logout().catch(() => undefined);
  });

  /** Syncs INBOX with a renderer that stores a batch every 100 ms; the most items ever sent and not reported. */
  async function firstSync(reports: boolean): Promise<number> {
    other = await otherClient(servers, 'alice');
    h = startEngine(servers, 'alice', { batchSizes: [SLICE], deliveryWindow: { windowItems: WINDOW } });
    const engine = h.engine;
    const queue: SyncBatch[] = [];
    let sent = 0;
    let reported = 0;
    let most = 0;
    const items = (b: SyncBatch) => b.deltas.reduce((n, d) => n + (d.kind === 'upsert' ? itemsOf(d) : 0), 0);
    engine.onBatch((b) => {
      queue.push(b);
      sent += items(b);
      most = Math.max(most, sent - reported);
    });
    timer = setInterval(() => {
      const b = queue.shift();
      if (!b) return;
      reported += items(b);
      if (reports) engine.applied(b.seq);
    }, 100);
    await engine.resume([]);
    await waitInSync(h, other, ['INBOX'], 60_000);
    return most;
  }

  it('keeps the headers sent and not stored within the window and one slice', async () => {
    const most = await firstSync(true);
    expect(most).toBeGreaterThan(WINDOW - SLICE);
    expect(most).toBeLessThanOrEqual(WINDOW + SLICE);
  });

  it('runs ahead as before when nothing reports', async () => {
    const most = await firstSync(false);
    expect(most).toBeGreaterThan(WINDOW + SLICE);
  });
});
