import type { Locator, Page } from '@playwright/test';
import { ImapFlow } from 'imapflow';
import { loadMailServersFromEnv } from '../mailserver/mailserver';
import { expect, PetrelApp, test } from '../support/fixtures';
import { startHostWithAutoconfig } from '../support/host';

/**
 * Message actions through the UI, each checked on the server over IMAP: opening marks read,
 * u/s toggle read and star, "Move to…" and drag and drop move, delete goes to Trash and in
 * Trash deletes for good (and nothing else: a message another program marked \Deleted stays),
 * archive, spam, and a shift-click selection starred at once.
 */

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const CRLF = '\r\n';

function raw(i: number): string {
  return [
    `From: Sender ${i} <sender${i}@example.test>`,
    `To: ${alice.address}`,
    `Subject: Action ${i}`,
    `Date: ${new Date(Date.now() - (20 - i) * 3600e3).toUTCString()}`,
    `Message-ID: <action-${i}@example.test>`,
    '',
    `Body of action message ${i}.`,
    '',
  ].join(CRLF);
}

/** Subject → flags (sorted, without \Recent) of a folder, read with a separate IMAP client. */
async function serverFolder(client: ImapFlow, path: string): Promise<Record<string, string[]>> {
  const mb = await client.mailboxOpen(path, { readOnly: true });
  const out: Record<string, string[]> = {};
  try {
    if (mb.exists > 0) {
      for await (const m of client.fetch('1:*', { envelope: true, flags: true })) {
        out[m.envelope?.subject ?? '?'] = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
      }
    }
  } finally {
    await client.mailboxClose();
  }
  return out;
}

async function imap(): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: '127.0.0.1',
    port: servers.imap.tlsPort,
    secure: true,
    servername: 'localhost',
    auth: { user: alice.login, pass: alice.password },
    tls: { ca: [servers.caCert] },
    logger: false,
    disableAutoIdle: true,
  });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

const row = (page: Page, subject: string) => page.getByRole('option', { name: new RegExp(`, ${subject}, `) });
const list = (page: Page) => page.getByRole('listbox', { name: /^Messages in / });

test('message actions apply at once and reach the server', async ({ page }) => {
  test.setTimeout(180_000);
  await servers.resetUser('alice');
  for (let i = 1; i <= 8; i++) await servers.doveadm(['save', '-u', alice.login, '-m', 'INBOX'], raw(i));
  await servers.doveadm(['mailbox', 'create', '-s', '-u', alice.login, 'Projects']);
  // Another program marked a message in Trash \Deleted and has not expunged it.
  await servers.doveadm(['save', '-u', alice.login, '-m', 'Trash'], raw(20).replace('Action 20', 'Marked elsewhere'));
  await servers.doveadm(['flags', 'add', '-u', alice.login, '\\Deleted', 'mailbox', 'Trash', 'ALL']);

  const host = await startHostWithAutoconfig(servers);
  const client = await imap();
  const at = (path: string) => () => serverFolder(client, path);
  try {
    const app = new PetrelApp(page, host);
    await app.open();
    await app.addAccount({ name: 'Alice', email: alice.address, password: alice.password });
    const tree = app.folders(alice.address);
    const folder = (name: string): Locator => tree.getByRole('treeitem', { name: new RegExp(`^${name}(,|$)`) });
    await expect(row(page, 'Action 8')).toBeVisible();
    await expect(row(page, 'Action 8')).toHaveAccessibleName(/^Unread, /);

    // Opening marks read.
    await row(page, 'Action 8').click();
    await expect(page.getByRole('heading', { name: 'Action 8' })).toBeVisible();
    await expect(row(page, 'Action 8')).not.toHaveAccessibleName(/^Unread, /);
    await expect.poll(async () => (await at('INBOX')())['Action 8']).toEqual(['\\Seen']);

    // u: unread again (and opening does not mark it read again); s: star.
    await list(page).press('u');
    await expect(row(page, 'Action 8')).toHaveAccessibleName(/^Unread, /);
    await expect.poll(async () => (await at('INBOX')())['Action 8']).toEqual([]);
    await list(page).press('s');
    await expect(row(page, 'Action 8')).toHaveAccessibleName(/^Unread, Starred, /);
    await expect.poll(async () => (await at('INBOX')())['Action 8']).toEqual(['\\Flagged']);
    const toolbar = page.getByRole('toolbar', { name: 'Message actions' });
    await expect(toolbar.getByRole('button', { name: 'Star' })).toHaveAttribute('aria-pressed', 'true');

    // Move to… (the menu), by keyboard: v opens it, typing filters, Enter picks.
    await list(page).press('v');
    const picker = page.getByRole('dialog', { name: 'Move to folder' });
    await expect(picker).toBeVisible();
    await expect(picker.getByRole('combobox', { name: 'Folder name' })).toBeFocused();
    await expect(picker.getByRole('option', { name: 'Inbox' })).toHaveCount(0);
    await page.screenshot({ path: 'test-results/actions-toolbar-menu.png' });
    await page.keyboard.type('proj');
    await expect(picker.getByRole('option')).toHaveCount(1);
    await expect(picker.getByRole('option', { name: 'Projects' })).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('Enter');
    await expect(picker).toBeHidden();
    await expect(row(page, 'Action 8')).toHaveCount(0);
    await expect.poll(async () => Object.keys(await at('Projects')())).toEqual(['Action 8']);
    expect((await at('INBOX')())['Action 8']).toBeUndefined();
    // The next message is selected and open.
    await expect(page.getByRole('heading', { name: 'Action 7' })).toBeVisible();

    // The menu by mouse, then Escape closes it and gives focus back.
    await toolbar.getByRole('button', { name: 'Move to…' }).click();
    await expect(picker).toBeVisible();
    await page.screenshot({ path: 'test-results/actions-menu-mouse.png' });
    await page.keyboard.press('Escape');
    await expect(picker).toBeHidden();
    await expect(toolbar.getByRole('button', { name: 'Move to…' })).toBeFocused();
    await page.keyboard.press('Shift+Tab');
    await expect(toolbar.getByRole('button', { name: 'Star' })).toBeFocused();
    await page.keyboard.press('ArrowLeft');
    await expect(toolbar.getByRole('button', { name: /^Mark as (read|unread)$/ })).toBeFocused();
    await page.screenshot({ path: 'test-results/actions-focus.png' });
    await page.emulateMedia({ colorScheme: 'dark' });
    await toolbar.getByRole('button', { name: 'Copy to…' }).click();
    await page.screenshot({ path: 'test-results/actions-menu-dark.png' });
    await page.keyboard.press('Escape');
    await page.emulateMedia({ colorScheme: 'light' });

    // Drag and drop a row onto a folder.
    await row(page, 'Action 6').dragTo(folder('Projects'));
    await expect(row(page, 'Action 6')).toHaveCount(0);
    await expect.poll(async () => Object.keys(await at('Projects')()).sort()).toEqual(['Action 6', 'Action 8']);

    // Delete: to Trash.
    await row(page, 'Action 5').click();
    await list(page).press('#');
    await expect(row(page, 'Action 5')).toHaveCount(0);
    await expect.poll(async () => Object.keys(await at('Trash')()).sort()).toEqual(['Action 5', 'Marked elsewhere']);

    // In Trash: deleted for good, and only it.
    await folder('Trash').click();
    await row(page, 'Action 5').click();
    await expect(toolbar.getByRole('button', { name: 'Delete for good' })).toBeVisible();
    await list(page).press('Delete');
    await expect(row(page, 'Action 5')).toHaveCount(0);
    // (The next message opened after the deletion, so it is read now too.)
    await expect.poll(async () => await at('Trash')()).toEqual({ 'Marked elsewhere': ['\\Deleted', '\\Seen'] });
    for (const path of ['INBOX', 'Projects', 'Archive', 'Junk']) expect((await at(path)())['Action 5']).toBeUndefined();

    // Archive and spam, from the keyboard.
    await folder('Inbox').click();
    await row(page, 'Action 4').click();
    await list(page).press('e');
    await expect(row(page, 'Action 4')).toHaveCount(0);
    await expect.poll(async () => Object.keys(await at('Archive')())).toEqual(['Action 4']);
    await row(page, 'Action 3').click();
    await list(page).press('!');
    await expect(row(page, 'Action 3')).toHaveCount(0);
    await expect.poll(async () => await at('Junk')()).toEqual({ 'Action 3': ['$Junk', '\\Seen'] });

    // Copy: with the menu, and by dragging with Ctrl held.
    await row(page, 'Action 7').click();
    await toolbar.getByRole('button', { name: 'Copy to…' }).click();
    await page.getByRole('dialog', { name: 'Copy to folder' }).getByRole('option', { name: 'Archive' }).click();
    await expect.poll(async () => Object.keys(await at('Archive')()).sort()).toEqual(['Action 4', 'Action 7']);
    await expect(row(page, 'Action 7')).toBeVisible();
    await page.keyboard.down('Control');
    await row(page, 'Action 2').dragTo(folder('Projects'));
    await page.keyboard.up('Control');
    await expect.poll(async () => Object.keys(await at('Projects')()).sort()).toEqual(['Action 2', 'Action 6', 'Action 8']);
    expect(Object.keys(await at('INBOX')()).sort()).toEqual(['Action 1', 'Action 2', 'Action 7']);

    // A shift-click selection: the actions apply to all of it.
    await row(page, 'Action 2').click();
    await row(page, 'Action 1').click({ modifiers: ['Shift'] });
    await expect(page.getByRole('heading', { name: '2 messages selected' })).toBeVisible();
    await expect(row(page, 'Action 1')).toHaveAttribute('aria-selected', 'true');
    await page.getByRole('toolbar', { name: 'Actions on 2 messages' }).getByRole('button', { name: 'Star' }).click();
    await expect.poll(async () => {
      const inbox = await at('INBOX')();
      return [inbox['Action 1'], inbox['Action 2']];
    }).toEqual([['\\Flagged'], ['\\Flagged', '\\Seen']]);
    await page.screenshot({ path: 'test-results/actions-multi.png' });

    // With mark-read-on-open off, opening leaves a message unread. (Operations run in order:
    // had opening marked it read, the server would show \Seen by the time the star is gone.)
    await page.evaluate(() => localStorage.setItem('petrel.markReadOnOpen', 'off'));
    await row(page, 'Action 1').click();
    await expect(page.getByRole('heading', { name: 'Action 1' })).toBeVisible();
    await list(page).press('s');
    await expect.poll(async () => (await at('INBOX')())['Action 1']).toEqual([]);
    await expect(row(page, 'Action 1')).toHaveAccessibleName(/^Unread, /);
    // Nothing left waiting or failed.
    await expect(page.getByTestId('ops-status')).toBeEmpty();
  } finally {
    await client.logout().catch(() => undefined);
    await host.stop();
  }
});
