import type { Locator } from '@playwright/test';
import { bulkInsert } from '../../electron/core/sync/testing/mail-store';
import { loadMailServersFromEnv } from '../mailserver/mailserver';
import { expect, PetrelApp, test } from '../support/fixtures';
import { freePort, startHostWithAutoconfig, tempDataDir } from '../support/host';

/**
 * A 100k-message INBOX through the UI: it syncs, opens newest first, and the virtualized list
 * shows the right rows wherever it is scrolled to (the middle, the end, back to the top).
 * Message i (0 = newest) is "Bulk message i", so a row at position p must show message p - 1:
 * any paging mistake (an offset, a stale jump anchor, a window read for another position)
 * shows up as a mismatch. How fast this is, is the benchmark's business (`npm run bench`).
 * Also: a first sync cut short by quitting the app continues after a restart from what it had
 * stored (the sidebar's progress line tells when to quit; the engine's log, where it resumed).
 */

const servers = loadMailServersFromEnv();
const carol = servers.user('carol');
const TOTAL = 100_000;
const CRLF = '\r\n';
const base = Date.UTC(2026, 10, 1, 12, 0, 0);

function bulk(i: number): string {
  return [
    `From: Sender ${i % 97} <sender${i % 97}@example.test>`,
    `To: ${carol.address}`,
    `Subject: Bulk message ${i}`,
    // One minute apart, newest first: the list's order is the numbering.
    `Date: ${new Date(base - i * 60_000).toUTCString()}`,
    `Message-ID: <bulk-${i}@example.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `Body of message ${i}.`,
    '',
  ].join(CRLF);
}

/**
 * Message numbers in the order they reach the mailbox, oldest first, as mail arrives: the
 * newest message has the highest UID, so a first sync (highest UIDs first) stores it first.
 */
function arrivalOrder(total: number): number[] {
  return Array.from({ length: total }, (_, k) => total - 1 - k);
}

/**
 * Every rendered row (none still loading) shows the message its position says, once the list
 * shows the part of the folder `at` accepts (a scroll is applied on the list's next frame, so
 * right after setting scrollTop the rows of the previous place can still be all there is).
 */
async function expectRowsInPlace(list: Locator, at: (positions: number[]) => boolean, where: string, scroll?: () => Promise<unknown>): Promise<number[]> {
  const rows = list.getByRole('option');
  const snapshot = () =>
    rows.evaluateAll((els) => els.map((el) => ({ pos: Number(el.getAttribute('aria-posinset')), label: el.getAttribute('aria-label') ?? '' })));
  // One snapshot at the place asked for with no row loading: the list may still be settling
  // after a scroll and add a row in the overscan, which shows "Loading" until its window is read.
  let seen: Awaited<ReturnType<typeof snapshot>> = [];
  await expect
    .poll(async () => {
      // Scrolled again each time where asked: the list may have grown since the last try.
      await scroll?.();
      seen = await snapshot();
      const loading = seen.filter((r) => r.label === 'Loading').length;
      const positions = seen.map((r) => r.pos);
      return loading > 0 ? `${loading} rows loading` : at(positions) ? 'ready' : `rows ${Math.min(...positions)}-${Math.max(...positions)}, not ${where}`;
    }, { timeout: 30_000 })
    .toBe('ready');
  expect(seen.length).toBeGreaterThan(5);
  for (const { pos, label } of seen) {
    const n = /Bulk message (\d+),/.exec(label)?.[1];
    expect(n, `row ${pos}: ${label}`).toBe(String(pos - 1));
  }
  return seen.map((s) => s.pos);
}

const atTop = (ps: number[]) => Math.min(...ps) === 1;
const atEnd = (total: number) => (ps: number[]) => Math.max(...ps) === total;

test('a 100k-message folder syncs, opens newest first, and shows the right rows at its middle and its end', async ({ page }) => {
  test.setTimeout(600_000);
  await servers.resetUser('carol');
  await bulkInsert(
    servers,
    'carol',
    'INBOX',
    arrivalOrder(TOTAL).map((i) => ({ raw: bulk(i), flags: i % 3 === 0 ? [] : ['\\Seen'] })),
  );
  // Dovecot's cache built ahead, as a long-lived mailbox has it (else the first FETCH builds it).
  await servers.doveadm(['index', '-u', carol.login, 'INBOX']);

  const host = await startHostWithAutoconfig(servers);
  try {
    const app = new PetrelApp(page, host);
    await app.open();
    await app.addAccount({ name: 'Carol Diaz', email: carol.address, password: carol.password });
    const list = page.getByRole('listbox', { name: /^Messages in Inbox/ });
    // The newest rows come first, long before the rest.
    await expect(list.getByRole('option').first()).toHaveAccessibleName(/Bulk message 0,/, { timeout: 60_000 });
    await expect(page.getByTestId('message-count')).toHaveText(`${TOTAL.toLocaleString('en-US')} messages`, { timeout: 300_000 });
    await expect(list.getByRole('option').first()).toHaveAttribute('aria-setsize', String(TOTAL));
    expect((await expectRowsInPlace(list, atTop, 'at the top'))[0]).toBe(1);

    // The middle, as a drag of the scrollbar would take it.
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight / 2));
    const middle = await expectRowsInPlace(list, (ps) => Math.min(...ps) > TOTAL / 2 - 1000 && Math.max(...ps) < TOTAL / 2 + 1000, 'in the middle');
    expect(Math.min(...middle)).toBeGreaterThan(TOTAL / 2 - 1000);
    await page.screenshot({ path: 'test-results/large-folder-middle.png' });

    // The end: the oldest message is the last row.
    await list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    const end = await expectRowsInPlace(list, atEnd(TOTAL), 'at the end');
    expect(Math.max(...end)).toBe(TOTAL);

    // Back to the top by keyboard: Home focuses the newest.
    await list.focus();
    await page.keyboard.press('Home');
    await expect(list.getByRole('option').first()).toHaveAccessibleName(/Bulk message 0,/);
    expect((await expectRowsInPlace(list, atTop, 'at the top'))[0]).toBe(1);
  } finally {
    await host.stop();
  }
});

test('a first sync cut short by quitting the app continues after a restart, keeping what it had stored', async ({ page }) => {
  test.setTimeout(600_000);
  const total = 60_000;
  await servers.resetUser('carol');
  await bulkInsert(
    servers,
    'carol',
    'INBOX',
    arrivalOrder(total).map((i) => ({ raw: bulk(i), flags: ['\\Seen'] })),
  );
  await servers.doveadm(['index', '-u', carol.login, 'INBOX']);
  const dataDir = await tempDataDir();
  const port = await freePort();
  let host = await startHostWithAutoconfig(servers, { dataDir, port });
  try {
    const app = new PetrelApp(page, host);
    await app.open();
    await app.addAccount({ name: 'Carol Diaz', email: carol.address, password: carol.password });
    const list = page.getByRole('listbox', { name: /^Messages in Inbox/ });
    // How far the first sync is, as the sidebar says it ("Syncing 2,550 of 60,000 messages").
    const activity = page.getByTestId('sync-activity');
    const synced = async () => Number(/^Syncing ([\d,]+) of/.exec((await activity.textContent({ timeout: 100 }).catch(() => '')) ?? '')?.[1]?.replace(/,/g, '') ?? 0);
    // The most the line has shown: a read that misses the line (it took longer than its 100 ms
    // under load, or came between two updates) gives 0 and must not lower it.
    let before = 0;
    const seen = async () => (before = Math.max(before, await synced()));
    await expect.poll(seen, { timeout: 120_000, intervals: [50] }).toBeGreaterThanOrEqual(1000);
    await page.screenshot({ path: 'test-results/large-folder-syncing.png' });
    // Quit in the middle of the first sync (at least `before` messages are stored by then).
    await seen();
    await host.stop();
    expect(before).toBeGreaterThanOrEqual(1000);
    expect(before).toBeLessThan(total);

    host = await startHostWithAutoconfig(servers, { dataDir, port });
    await page.goto(host.url);
    await expect(list.getByRole('option').first()).toHaveAccessibleName(/Bulk message 0,/, { timeout: 60_000 });
    // The engine picked up where the sync stopped: what it had left was at most what was not stored.
    await expect.poll(() => /continuing an initial sync cut off earlier \{"remaining":(\d+),"total":60000\}/.test(host.log()), { timeout: 60_000 }).toBe(true);
    const remaining = Number(/continuing an initial sync cut off earlier \{"remaining":(\d+)/.exec(host.log())![1]);
    expect(remaining).toBeLessThanOrEqual(total - before);
    // Done: every message is in the list, and the progress line goes away. (The line alone is
    // no proof: right after the reload it may not have appeared yet.)
    await expect(page.getByTestId('message-count')).toHaveText(`${total.toLocaleString('en-US')} messages`, { timeout: 300_000 });
    await expect(page.getByTestId('sync-activity')).toHaveCount(0, { timeout: 60_000 });
    // The older messages fetched after the restart sit where they belong.
    const toEnd = () => list.evaluate((el) => (el.scrollTop = el.scrollHeight));
    expect(Math.max(...(await expectRowsInPlace(list, atEnd(total), 'at the end', toEnd)))).toBe(total);
  } finally {
    await host.stop();
  }
});
