/**
 * Sending, end to end through the UI in Chromium, against the real Postfix and Dovecot:
 * one host with two accounts (alice sends, bob receives), copies counted over IMAP by
 * Message-ID (SEARCH HEADER) at the recipient and in Sent. Replies and forwards are checked
 * the same way: their headers and attachments as the recipient's server has them, the
 * original's \Answered / $Forwarded flag as the sender's server has it.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import type { Download, Locator, Page } from '@playwright/test';
import { ImapFlow } from 'imapflow';
import { simpleParser } from 'mailparser';
import { loadMailServersFromEnv, type MailUser } from '../mailserver/mailserver';
import { startAutoconfigServer, trustedEntry, type AutoconfigEntry } from '../support/autoconfig-server';
import { expect, PetrelApp, test } from '../support/fixtures';
import { freePort, startHost, tempDataDir, type RunningHost } from '../support/host';

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const bob = servers.user('bob');
const carol = servers.user('carol');

const trusted: AutoconfigEntry = trustedEntry(servers);

/** What the person attaches (Playwright hands them to the file input as if picked). */
const FILES = [
  { name: 'report.pdf', mimeType: 'application/pdf', buffer: Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(150_000)]) },
  { name: 'Grüße & notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Zeile eins — ünïcödé\r\nline two\n', 'utf8') },
];

let autoconfig: Awaited<ReturnType<typeof startAutoconfigServer>>;
let env: NodeJS.ProcessEnv;

test.beforeAll(async () => {
  autoconfig = await startAutoconfigServer({ 'example.test': trusted });
  env = { PETREL_AUTOCONFIG_URL: autoconfig.urlTemplate };
});
test.afterAll(async () => {
  await autoconfig?.close();
});
test.beforeEach(async () => {
  // A test that failed with Postfix stopped must not take the next ones with it.
  await servers.startPostfix();
  await Promise.all(['alice', 'bob', 'carol'].map((u) => servers.resetUser(u)));
});

// ---- IMAP, from the test's side ------------------------------------------------------------

async function imap<T>(user: MailUser, use: (c: ImapFlow) => Promise<T>): Promise<T> {
  const client = new ImapFlow({
    host: servers.host,
    port: servers.imap.tlsPort,
    secure: true,
    auth: { user: user.login, pass: user.password },
    tls: { ca: servers.caCert },
    logger: false,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.logout().catch(() => client.close());
  }
}

async function search(user: MailUser, folder: string, query: { subject?: string; messageId?: string }): Promise<number[]> {
  return imap(user, async (c) => {
    const lock = await c.getMailboxLock(folder, { readOnly: true });
    try {
      const q = query.messageId !== undefined ? { header: { 'message-id': query.messageId } } : { subject: query.subject ?? '' };
      return (await c.search(q, { uid: true })) || [];
    } finally {
      lock.release();
    }
  });
}

const countBySubject = async (user: MailUser, folder: string, subject: string) => (await search(user, folder, { subject })).length;
const countByMessageId = async (user: MailUser, folder: string, messageId: string) => (await search(user, folder, { messageId })).length;

/** The raw messages with this subject in a folder. */
async function messages(user: MailUser, folder: string, subject: string): Promise<Buffer[]> {
  return imap(user, async (c) => {
    const lock = await c.getMailboxLock(folder, { readOnly: true });
    try {
      const uids = (await c.search({ subject }, { uid: true })) || [];
      const out: Buffer[] = [];
      for (const uid of uids) {
        const m = await c.fetchOne(String(uid), { source: true }, { uid: true });
        if (m && m.source) out.push(m.source);
      }
      return out;
    } finally {
      lock.release();
    }
  });
}

/** The flags of the messages with this subject in a folder. */
async function flagsOf(user: MailUser, folder: string, subject: string): Promise<string[][]> {
  return imap(user, async (c) => {
    const lock = await c.getMailboxLock(folder, { readOnly: true });
    try {
      const uids = (await c.search({ subject }, { uid: true })) || [];
      const out: string[][] = [];
      for (const uid of uids) {
        const m = await c.fetchOne(String(uid), { flags: true }, { uid: true });
        if (m) out.push([...(m.flags ?? [])].sort());
      }
      return out;
    } finally {
      lock.release();
    }
  });
}

/** The one message with exactly this subject in a folder, parsed (waits for it to arrive). */
async function arrived(user: MailUser, folder: string, subject: string): Promise<{ raw: Buffer; mail: Awaited<ReturnType<typeof simpleParser>> }> {
  let found: Buffer[] = [];
  await expect
    .poll(
      async () => {
        found = [];
        for (const raw of await messages(user, folder, subject)) if ((await simpleParser(raw)).subject === subject) found.push(raw);
        return found.length;
      },
      { timeout: 30_000 },
    )
    .toBe(1);
  return { raw: found[0]!, mail: await simpleParser(found[0]!) };
}

async function onlyMessageId(user: MailUser, folder: string, subject: string): Promise<string> {
  const found = await messages(user, folder, subject);
  expect(found).toHaveLength(1);
  const id = (await simpleParser(found[0]!)).messageId;
  expect(id).toMatch(/^<.+@.+>$/);
  return id!;
}

// ---- the app -------------------------------------------------------------------------------

async function openWithAccounts(page: Page, host: RunningHost): Promise<PetrelApp> {
  const app = new PetrelApp(page, host);
  await app.open();
  await app.addAccount({ name: 'Alice Example', email: alice.address, password: alice.password });
  await app.addAccount({ name: 'Bob Example', email: bob.address, password: bob.password });
  for (const who of [alice, bob]) await expect(app.account(who.address).getByRole('img', { name: 'Connected' })).toBeVisible();
  return app;
}

function folder(app: PetrelApp, user: MailUser, name: string): Locator {
  return app.folders(user.address).getByRole('treeitem', { name: new RegExp(`^${name}(,|$)`) });
}

/** The open composer (there is one at a time in these tests). */
function composer(page: Page): Locator {
  return page.getByRole('dialog').filter({ has: page.getByRole('button', { name: 'Send', exact: true }) });
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Opens a composer and writes a message from alice to bob (not sent). */
async function write(page: Page, m: { subject: string; body: string; files?: typeof FILES; to?: string; cc?: string }): Promise<Locator> {
  await page.getByRole('button', { name: 'New message' }).click();
  const c = composer(page);
  await expect(c).toBeVisible();
  const from = c.getByLabel('From');
  const value = await from.locator('option', { hasText: alice.address }).getAttribute('value');
  await from.selectOption(value!);
  await c.getByLabel('To', { exact: true }).fill(m.to ?? bob.address);
  if (m.cc) {
    await c.getByRole('button', { name: 'Cc/Bcc' }).click();
    await c.getByLabel('Cc', { exact: true }).fill(m.cc);
  }
  await c.getByLabel('Subject', { exact: true }).fill(m.subject);
  await c.getByRole('textbox', { name: 'Message' }).fill(m.body);
  if (m.files) {
    await c.getByLabel('Attach files').setInputFiles(m.files);
    const list = c.getByRole('list', { name: 'Attachments' });
    for (const f of m.files) await expect(list.getByText(f.name, { exact: true })).toBeVisible();
  }
  return c;
}

async function setUndoSeconds(page: Page, seconds: number): Promise<void> {
  await page.evaluate((s) => localStorage.setItem('petrel.undoSendSeconds', String(s)), seconds);
}

async function bytesOf(download: Download): Promise<Buffer> {
  return readFile(await download.path());
}


// ---- the tests -----------------------------------------------------------------------------

test('alice sends two attachments (with the undo window); bob sees it arrive by push and saves both byte for byte', async ({ page }) => {
  const host = await startHost({ env });
  try {
    const app = await openWithAccounts(page, host);
    // Bob's inbox is on screen before anything is sent: the message must come by itself.
    await folder(app, bob, 'Inbox').click();
    await expect(folder(app, bob, 'Inbox')).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('listbox', { name: /^Messages in Inbox — / })).toBeVisible();

    const subject = `Quarterly files ${Date.now()}`;
    const c = await write(page, { subject, body: 'Hello Bob, the two files are attached.', files: FILES });
    await c.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(c).toBeHidden();

    // The default undo window: the notice counts down, then the message goes.
    const toast = page.getByTestId('undo-toast').filter({ hasText: subject });
    await expect(toast).toBeVisible();
    await expect(toast).toContainText(/in \d s/);
    await expect(toast).toBeHidden({ timeout: 20_000 });

    const row = page.getByRole('option', { name: new RegExp(escape(subject)) });
    await expect(row).toBeVisible({ timeout: 30_000 });
    await row.click();
    const reader = page.getByRole('region', { name: `Message: ${subject}` });
    await expect(reader).toBeVisible();
    const list = reader.getByRole('list', { name: '2 attachments' });
    await expect(list).toBeVisible();
    await expect(list.getByRole('listitem', { name: /^report\.pdf, 14\d kB, application\/pdf$/ })).toBeVisible();
    await page.screenshot({ path: 'test-results/sending-received.png' });

    // Each one by its own button...
    for (const f of FILES) {
      const [download] = await Promise.all([page.waitForEvent('download'), reader.getByRole('button', { name: `Save ${f.name}` }).click()]);
      expect(download.suggestedFilename()).toBe(f.name);
      expect((await bytesOf(download)).equals(f.buffer), `${f.name} is byte-identical`).toBe(true);
    }
    await expect(reader.getByText('Saved to your downloads')).toHaveCount(2);
    await page.screenshot({ path: 'test-results/sending-saved.png' });

    // ...and both with "Save all".
    const all: Download[] = [];
    page.on('download', (d) => all.push(d));
    await reader.getByRole('button', { name: 'Save all' }).click();
    await expect.poll(() => all.length, { timeout: 20_000 }).toBe(2);
    const got = await Promise.all(all.map(async (d) => ({ name: d.suggestedFilename(), bytes: await bytesOf(d) })));
    for (const f of FILES) expect(got.find((g) => g.name === f.name)?.bytes.equals(f.buffer), `${f.name} via Save all`).toBe(true);

    // One copy at bob, one in alice's Sent.
    const messageId = await onlyMessageId(bob, 'INBOX', subject);
    await expect.poll(() => countByMessageId(alice, 'Sent', messageId)).toBe(1);
    expect(await countByMessageId(bob, 'INBOX', messageId)).toBe(1);
  } finally {
    await host.stop();
  }
});

test('a draft is saved to Drafts on the server and reopens with its text and attachments', async ({ page }) => {
  const host = await startHost({ env });
  try {
    const app = await openWithAccounts(page, host);
    const subject = `Draft with files ${Date.now()}`;
    const body = 'Half-written thoughts about the budget.';
    const c = await write(page, { subject, body, files: FILES });
    await page.screenshot({ path: 'test-results/sending-composer.png' });

    // Saved a few seconds after typing stops, with both attachments.
    await expect.poll(() => countBySubject(alice, 'Drafts', subject), { timeout: 20_000 }).toBe(1);
    const [raw] = await messages(alice, 'Drafts', subject);
    const draft = await simpleParser(raw!);
    expect(draft.text?.trim()).toBe(body);
    expect(draft.attachments.map((a) => a.filename)).toEqual(FILES.map((f) => f.name));
    draft.attachments.forEach((a, i) => expect(a.content.equals(FILES[i]!.buffer)).toBe(true));
    await expect(c).toBeVisible();

    // The window goes away with the composer open; the draft is offered again on this device.
    await page.reload();
    await app.waitConnected();
    await expect(composer(page)).toHaveCount(0);
    await page.getByRole('button', { name: /^Outbox/ }).click();
    const outbox = page.getByRole('dialog', { name: 'Outbox' });
    await expect(outbox.getByRole('heading', { name: 'Drafts on this device' })).toBeVisible();
    await page.screenshot({ path: 'test-results/sending-outbox-drafts.png' });
    await outbox.getByRole('button', { name: `Open draft “${subject}”` }).click();
    // The Outbox (a modal) gets out of the way of the composer it opened.
    await expect(outbox).toBeHidden();

    const reopened = composer(page);
    await expect(reopened.getByLabel('Subject', { exact: true })).toHaveValue(subject);
    await expect(reopened.getByLabel('To', { exact: true })).toHaveValue(bob.address);
    await expect(reopened.getByRole('textbox', { name: 'Message' })).toHaveText(body);
    const attached = reopened.getByRole('list', { name: 'Attachments' });
    for (const f of FILES) await expect(attached.getByText(f.name, { exact: true })).toBeVisible();
    await page.screenshot({ path: 'test-results/sending-composer-reopened.png' });

    // An edit and "Save and close" replace the server draft: still one, with the new text.
    const editor = reopened.getByRole('textbox', { name: 'Message' });
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type(' And one more thing.');
    await reopened.getByRole('button', { name: 'Save and close' }).click();
    await expect(reopened).toBeHidden();
    await expect
      .poll(async () => (await Promise.all((await messages(alice, 'Drafts', subject)).map(async (r) => (await simpleParser(r)).text?.trim()))).join('|'), {
        timeout: 20_000,
      })
      .toBe(`${body} And one more thing.`);

    // The server copy also shows in the Drafts folder, with its attachments.
    await folder(app, alice, 'Drafts').click();
    // The list catches up with the replaced draft (a new UID) by itself; open the new one.
    const row = page.getByRole('option', { name: new RegExp(escape(subject)) }).filter({ hasText: 'And one more thing.' });
    await expect(row).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('option', { name: new RegExp(escape(subject)) })).toHaveCount(1);
    await row.click();
    const reader = page.getByRole('region', { name: `Message: ${subject}` });
    await expect(reader.getByRole('list', { name: '2 attachments' })).toBeVisible();
    await expect(reader).toContainText('And one more thing.');
  } finally {
    await host.stop();
  }
});

test('with the SMTP server unreachable the message waits in the Outbox, then goes out once when it is back', async ({ page }) => {
  const host = await startHost({ env });
  try {
    await openWithAccounts(page, host);
    await setUndoSeconds(page, 0);
    const subject = `While Postfix is down ${Date.now()}`;
    await servers.stopPostfix();
    try {
      const c = await write(page, { subject, body: 'This has to wait.' });
      await c.getByRole('button', { name: 'Send', exact: true }).click();
      await expect(c).toBeHidden();
      const button = page.getByRole('button', { name: /^Outbox, 1 message, 1 needs attention/ });
      await expect(button).toBeVisible({ timeout: 30_000 });
      await button.click();
      const entry = page.getByRole('dialog', { name: 'Outbox' }).getByTestId('outbox-entry');
      await expect(entry).toHaveAttribute('data-state', 'failed');
      await expect(entry).toContainText(subject);
      await expect(entry).toContainText('could not reach');
      await expect(entry).toContainText(/Trying again/);
      await page.screenshot({ path: 'test-results/sending-outbox.png' });
      expect(await countBySubject(bob, 'INBOX', subject)).toBe(0);
    } finally {
      await servers.startPostfix();
    }
    // Retried on its own (backoff), no click.
    await expect(page.getByRole('dialog', { name: 'Outbox' }).getByTestId('outbox-entry')).toHaveCount(0, { timeout: 60_000 });
    await expect(page.getByRole('dialog', { name: 'Outbox' })).toContainText('Nothing waiting to be sent.');
    await expect.poll(() => countBySubject(bob, 'INBOX', subject), { timeout: 30_000 }).toBe(1);
    const messageId = await onlyMessageId(bob, 'INBOX', subject);
    expect(await countByMessageId(alice, 'Sent', messageId)).toBe(1);
    // Nothing more arrives later.
    await page.waitForTimeout(2000);
    expect(await countByMessageId(bob, 'INBOX', messageId)).toBe(1);
  } finally {
    await servers.startPostfix();
    await host.stop();
  }
});

test('Undo within the window sends nothing', async ({ page }) => {
  const host = await startHost({ env });
  try {
    await openWithAccounts(page, host);
    const subject = `Never mind ${Date.now()}`;
    const c = await write(page, { subject, body: 'On second thought…' });
    await c.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(c).toBeHidden();
    const toast = page.getByTestId('undo-toast').filter({ hasText: subject });
    await expect(toast).toBeVisible();
    await page.screenshot({ path: 'test-results/sending-undo-toast.png' });
    await page.getByRole('button', { name: `Undo sending “${subject}”` }).click();
    await expect(toast).toBeHidden();
    // Back in a composer, as it was.
    const again = composer(page);
    await expect(again.getByLabel('Subject', { exact: true })).toHaveValue(subject);
    await expect(again.getByRole('textbox', { name: 'Message' })).toHaveText('On second thought…');
    // Past the (5 s) window: nothing went anywhere.
    await page.waitForTimeout(8000);
    expect(await countBySubject(bob, 'INBOX', subject)).toBe(0);
    expect(await countBySubject(alice, 'Sent', subject)).toBe(0);
    await expect(page.getByRole('button', { name: /^Outbox, / })).toHaveCount(0);
  } finally {
    await host.stop();
  }
});

test('killed right after submission, restarted: exactly one copy at the recipient and one in Sent', async ({ page }) => {
  const dataDir = await tempDataDir();
  const port = await freePort();
  let host = await startHost({ dataDir, port, env: { ...env, PETREL_TEST_CRASH_AFTER_SUBMIT: '1' } });
  try {
    await openWithAccounts(page, host);
    await setUndoSeconds(page, 0);
    const subject = `Crash after submit ${Date.now()}`;
    const c = await write(page, { subject, body: 'Exactly once, please.', files: [FILES[0]!] });
    await c.getByRole('button', { name: 'Send', exact: true }).click();

    // The engine dies as the server accepts the message: before the Sent copy, before the
    // outbox hears of it.
    const code = await Promise.race([host.exited, new Promise((r) => setTimeout(() => r('still running after 30 s'), 30_000))]);
    expect(code).toBe(137);
    expect(host.log()).toContain('exiting with 137 after the submission');
    await expect(page.getByTestId('connection-status')).not.toHaveText('Connected');
    await expect.poll(() => countBySubject(bob, 'INBOX', subject), { timeout: 30_000 }).toBe(1);
    expect(await countBySubject(alice, 'Sent', subject)).toBe(0);

    // Started again on the same data and port (IndexedDB belongs to the origin); new token.
    host = await startHost({ dataDir, port, env });
    await page.goto(host.url);
    await expect(page.getByTestId('connection-status')).toHaveText('Connected');
    // The outbox reconciles with the engine's journal: only the Sent copy is left to do.
    await expect.poll(() => countBySubject(alice, 'Sent', subject), { timeout: 30_000 }).toBe(1);
    await expect(page.getByRole('button', { name: /^Outbox, / })).toHaveCount(0, { timeout: 30_000 });
    const messageId = await onlyMessageId(bob, 'INBOX', subject);
    await page.waitForTimeout(2000);
    expect(await countByMessageId(bob, 'INBOX', messageId)).toBe(1);
    expect(await countByMessageId(alice, 'Sent', messageId)).toBe(1);
  } finally {
    await host.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
});

// ---- replying and forwarding ---------------------------------------------------------------

/** Sends a message from alice (no undo window) and opens it in bob's inbox. */
async function aliceSendsBobOpens(page: Page, app: PetrelApp, m: { subject: string; body: string; files?: typeof FILES; cc?: string }): Promise<Locator> {
  await setUndoSeconds(page, 0);
  const c = await write(page, m);
  await c.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(c).toBeHidden();
  await folder(app, bob, 'Inbox').click();
  const row = page.getByRole('option', { name: new RegExp(escape(m.subject)) });
  await expect(row).toBeVisible({ timeout: 30_000 });
  await row.click();
  const reader = page.getByRole('region', { name: `Message: ${m.subject}` });
  await expect(reader).toBeVisible();
  return reader;
}

test('bob replies to alice\'s message and both see one conversation', async ({ page }) => {
  const host = await startHost({ env });
  try {
    const app = await openWithAccounts(page, host);
    const subject = `Lunch on Friday ${Date.now()}`;
    const reader = await aliceSendsBobOpens(page, app, { subject, body: 'Shall we have lunch on Friday?' });
    await expect(reader).toContainText('Shall we have lunch on Friday?');
    const original = await onlyMessageId(bob, 'INBOX', subject);

    // `r` in the list answers the selected message.
    await page.getByRole('listbox', { name: /^Messages in Inbox — / }).focus();
    await page.keyboard.press('r');
    const c = composer(page);
    await expect(c).toBeVisible();
    await expect(c.getByLabel('Subject', { exact: true })).toHaveValue(`Re: ${subject}`);
    await expect(c.getByLabel('To', { exact: true })).toHaveValue(`Alice Example <${alice.address}>`);
    await expect(c.getByLabel('From').locator('option:checked')).toContainText(bob.address);
    const editor = c.getByRole('textbox', { name: 'Message' });
    await expect(editor).toContainText('Alice Example wrote:');
    await expect(editor.locator('blockquote')).toContainText('Shall we have lunch on Friday?');
    // Bob writes above the quote: the caret starts there.
    await expect(editor).toBeFocused();
    await page.keyboard.type('Friday works for me.');
    await page.screenshot({ path: 'test-results/sending-reply-composer.png' });
    await c.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(c).toBeHidden();

    // Alice's server has the reply, threaded under her message.
    const { mail } = await arrived(alice, 'INBOX', `Re: ${subject}`);
    expect(mail.inReplyTo).toBe(original);
    expect([mail.references].flat()).toEqual([original]);
    expect(mail.text).toMatch(/^Friday works for me\./);
    expect(mail.text).toContain('> Shall we have lunch on Friday?');

    // Bob's original is \Answered on the server, and the list and the reader say so.
    await expect.poll(() => flagsOf(bob, 'INBOX', subject), { timeout: 30_000 }).toEqual([expect.arrayContaining(['\\Answered'])]);
    const row = page.getByRole('option', { name: new RegExp(escape(subject)) });
    await expect(row).toHaveAccessibleName(/^Answered, /);
    await expect(reader.getByTestId('response-marks')).toHaveText('You replied');
    await page.screenshot({ path: 'test-results/sending-reply-answered.png' });

    // One conversation (the conversation view: a feed named "Conversation", one article per
    // message, across folders): bob's shows his inbox copy and his reply in Sent...
    const bobFeed = page.getByRole('feed', { name: 'Conversation' });
    await expect(bobFeed.getByRole('article')).toHaveCount(2, { timeout: 30_000 });
    // ...and alice's, her sent original and bob's reply.
    await folder(app, alice, 'Inbox').click();
    const reply = page.getByRole('option', { name: new RegExp(escape(`Re: ${subject}`)) });
    await expect(reply).toBeVisible({ timeout: 30_000 });
    await reply.click();
    const aliceFeed = page.getByRole('feed', { name: 'Conversation' });
    await expect(aliceFeed.getByRole('article')).toHaveCount(2, { timeout: 30_000 });
    await page.screenshot({ path: 'test-results/sending-reply-conversation.png' });
  } finally {
    await host.stop();
  }
});

test('reply all answers the sender and the other recipients, without me, each once', async ({ page }) => {
  const host = await startHost({ env });
  try {
    const app = await openWithAccounts(page, host);
    const subject = `Team plans ${Date.now()}`;
    // Bob is in To with carol; carol again (other case) and bob again in Cc.
    await aliceSendsBobOpens(page, app, {
      subject,
      body: 'Plans for the team.',
      cc: `${carol.address.toUpperCase()}, ${bob.address}, dave@example.test`,
    });
    await page.getByRole('toolbar', { name: 'Message actions' }).getByRole('button', { name: 'Reply all' }).click();
    const c = composer(page);
    await expect(c.getByLabel('To', { exact: true })).toHaveValue(`Alice Example <${alice.address}>`);
    // Carol once, as written first (the domain as the address parser normalises it).
    await expect(c.getByLabel('Cc', { exact: true })).toHaveValue(new RegExp(`^${escape(carol.address)}, dave@example\\.test$`, 'i'));
    await expect(c.getByLabel('Subject', { exact: true })).toHaveValue(`Re: ${subject}`);
    await page.screenshot({ path: 'test-results/sending-reply-all.png' });
    await c.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(c).toBeHidden();
    const { mail } = await arrived(carol, 'INBOX', `Re: ${subject}`);
    const to = [mail.to].flat().flatMap((x) => x?.value ?? []).map((v) => v.address?.toLowerCase());
    const cc = [mail.cc].flat().flatMap((x) => x?.value ?? []).map((v) => v.address?.toLowerCase());
    expect(to).toEqual([alice.address]);
    expect(cc).toEqual([carol.address, 'dave@example.test']);
    await arrived(alice, 'INBOX', `Re: ${subject}`);
  } finally {
    await host.stop();
  }
});

test('bob forwards alice\'s attachment to carol, inline and as an attachment; the original is marked $Forwarded', async ({ page }) => {
  const host = await startHost({ env });
  try {
    const app = await openWithAccounts(page, host);
    const subject = `Signed contract ${Date.now()}`;
    const file = FILES[0]!;
    await aliceSendsBobOpens(page, app, { subject, body: 'The contract, signed.', files: [file] });
    const toolbar = page.getByRole('toolbar', { name: 'Message actions' });

    // Inline: the header block, the text, the attachment fetched again.
    await toolbar.getByRole('button', { name: 'Forward', exact: true }).click();
    let c = composer(page);
    await expect(c.getByLabel('Subject', { exact: true })).toHaveValue(`Fwd: ${subject}`);
    await expect(c.getByRole('list', { name: 'Attachments' }).getByText(file.name, { exact: true })).toBeVisible();
    const editor = c.getByRole('textbox', { name: 'Message' });
    await expect(editor).toContainText('---------- Forwarded message ----------');
    await expect(editor).toContainText(`From: Alice Example <${alice.address}>`);
    // A forward starts with its recipient.
    await expect(c.getByLabel('To', { exact: true })).toBeFocused();
    await c.getByLabel('To', { exact: true }).fill(carol.address);
    await page.screenshot({ path: 'test-results/sending-forward-composer.png' });
    await c.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(c).toBeHidden();

    const inline = await arrived(carol, 'INBOX', `Fwd: ${subject}`);
    expect(inline.mail.text).toContain('---------- Forwarded message ----------');
    expect(inline.mail.text).toContain('The contract, signed.');
    expect(inline.mail.attachments.map((a) => a.filename)).toEqual([file.name]);
    expect(inline.mail.attachments[0]!.content.equals(file.buffer), 'the forwarded attachment is byte-identical').toBe(true);
    await expect.poll(() => flagsOf(bob, 'INBOX', subject), { timeout: 30_000 }).toEqual([expect.arrayContaining(['$Forwarded'])]);
    await expect(page.getByRole('option', { name: new RegExp(escape(subject)) }).first()).toHaveAccessibleName(/Forwarded, /);

    // As an attachment: the original message itself, byte for byte as bob's server has it.
    await toolbar.getByRole('button', { name: 'Forward as attachment' }).click();
    c = composer(page);
    await expect(c.getByRole('list', { name: 'Attachments' }).getByText(`${subject}.eml`, { exact: true })).toBeVisible();
    await c.getByLabel('To', { exact: true }).fill(carol.address);
    await c.getByLabel('Subject', { exact: true }).fill(`As attachment ${subject}`);
    await c.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(c).toBeHidden();
    const attached = await arrived(carol, 'INBOX', `As attachment ${subject}`);
    const [bobsCopy] = await messages(bob, 'INBOX', subject);
    const eml = attached.mail.attachments.find((a) => a.contentType === 'message/rfc822');
    expect(eml, 'a message/rfc822 part').toBeDefined();
    const inner = await simpleParser(eml!.content);
    expect(inner.messageId).toBe((await simpleParser(bobsCopy!)).messageId);
    expect(inner.attachments[0]?.content.equals(file.buffer)).toBe(true);
  } finally {
    await host.stop();
  }
});

test('a signature appears in a new message and follows the From identity', async ({ page }) => {
  const host = await startHost({ env });
  try {
    await openWithAccounts(page, host);
    for (const [who, sig] of [
      [alice, 'Alice Example\nChief of Plans'],
      [bob, 'Bob, from the road'],
    ] as const) {
      await page.getByRole('button', { name: `Settings for ${who.address}` }).click();
      const dialog = page.getByRole('dialog', { name: `Account settings — ${who.address}` });
      await dialog.getByLabel('Identity 1 signature').fill(sig);
      await dialog.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(dialog).toBeHidden();
    }

    await page.getByRole('button', { name: 'New message' }).click();
    const c = composer(page);
    const from = c.getByLabel('From');
    await from.selectOption((await from.locator('option', { hasText: alice.address }).getAttribute('value'))!);
    const editor = c.getByRole('textbox', { name: 'Message' });
    await expect(editor).toContainText('Chief of Plans');
    // Switching to bob replaces the signature; switching back puts alice's back, never both.
    await from.selectOption((await from.locator('option', { hasText: bob.address }).getAttribute('value'))!);
    await expect(editor).toContainText('Bob, from the road');
    await expect(editor).not.toContainText('Chief of Plans');
    await from.selectOption((await from.locator('option', { hasText: alice.address }).getAttribute('value'))!);
    await expect(editor).toContainText('Chief of Plans');
    await expect(editor).not.toContainText('Bob, from the road');
    await page.screenshot({ path: 'test-results/sending-signature.png' });

    const subject = `Signed off ${Date.now()}`;
    await c.getByLabel('To', { exact: true }).fill(bob.address);
    await c.getByLabel('Subject', { exact: true }).fill(subject);
    await editor.click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('Control+Home');
    await page.keyboard.type('See you.');
    await setUndoSeconds(page, 0);
    await c.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(c).toBeHidden();
    const { mail } = await arrived(bob, 'INBOX', subject);
    expect(mail.text?.replace(/\r\n/g, '\n')).toMatch(/^See you\.\n-- \nAlice Example\nChief of Plans\s*$/);

    // Bob, written to and seen in mail, is suggested in To; the keyboard picks him.
    await page.getByRole('button', { name: 'New message' }).click();
    const next = composer(page);
    const to = next.getByRole('combobox', { name: 'To' });
    await to.pressSequentially('bo');
    const suggestions = next.getByRole('listbox', { name: 'Suggestions for To' });
    await expect(suggestions.getByRole('option').first()).toContainText(bob.address, { timeout: 30_000 });
    await expect(to).toHaveAttribute('aria-expanded', 'true');
    await page.screenshot({ path: 'test-results/sending-autocomplete.png' });
    await page.keyboard.press('Enter');
    await expect(to).toHaveValue(new RegExp(`^(Bob Example <)?${escape(bob.address)}>?, $`));
    await expect(next).toBeVisible();
  } finally {
    await host.stop();
  }
});
