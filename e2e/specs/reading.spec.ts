import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { loadMailServersFromEnv } from '../mailserver/mailserver';
import { expect, PetrelApp, test } from '../support/fixtures';
import { startHostWithAutoconfig, type RunningHost } from '../support/host';

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');

const CRLF = '\r\n';
const date = (hoursAgo: number) => new Date(Date.now() - hoursAgo * 3600e3).toUTCString();
const ascii = (s: string) => Buffer.from(s.split('\n').join(CRLF), 'latin1');

/** "こんにちは" in ISO-2022-JP, and "Привет, мир" in KOI8-R, as real mailers send them. */
const JIS_HELLO = Buffer.from([0x1b, 0x24, 0x42, 0x24, 0x33, 0x24, 0x73, 0x24, 0x4b, 0x24, 0x41, 0x24, 0x4f, 0x1b, 0x28, 0x42]);
const KOI8_HELLO = Buffer.from([0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4, 0x2c, 0x20, 0xcd, 0xc9, 0xd2]);
const PDF = Buffer.from('%PDF-1.4\n% Petrel test file \u00ff\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n', 'latin1');

function corpus(): Buffer[] {
  const japanese = Buffer.concat([
    ascii(
      [
        'From: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?= <taro@example.jp>',
        `To: ${alice.address}`,
        'Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=',
        `Date: ${date(5)}`,
        'Message-ID: <jp-1@example.jp>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=ISO-2022-JP',
        'Content-Transfer-Encoding: 7bit',
        '',
        '',
      ].join('\n'),
    ),
    JIS_HELLO,
    ascii('\n'),
  ]);
  const russian = Buffer.concat([
    ascii(
      [
        'From: =?KOI8-R?B?8NLJ18XU?= <ivan@example.ru>',
        `To: ${alice.address}`,
        'Subject: =?KOI8-R?Q?=F0=D2=C9=D7=C5=D4?=',
        `Date: ${date(4)}`,
        'Message-ID: <ru-1@example.ru>',
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=KOI8-R',
        'Content-Transfer-Encoding: 8bit',
        '',
        '',
      ].join('\n'),
    ),
    KOI8_HELLO,
    ascii('\n> quoted line one\n> quoted line two\nBye.\n'),
  ]);
  const alternative = ascii(
    [
      'From: "Bob Example" <bob@example.test>',
      `To: ${alice.address}`,
      'Subject: =?UTF-8?Q?Caf=C3=A9_cr=C3=A8me_and_a_report?=',
      `Date: ${date(3)}`,
      'Message-ID: <alt-1@example.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="mix"',
      '',
      '--mix',
      'Content-Type: multipart/alternative; boundary="alt"',
      '',
      '--alt',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The plain version.',
      '--alt',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<p>The <b>rich</b> version of the caf&eacute; report.</p>',
      '--alt--',
      '--mix',
      'Content-Type: application/pdf; name="report.pdf"',
      'Content-Disposition: attachment; filename="report.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      PDF.toString('base64'),
      '--mix--',
      '',
    ].join('\n'),
  );
  const forwarded = ascii(
    [
      'From: "Carol" <carol@example.test>',
      `To: ${alice.address}`,
      'Subject: Fwd: The original',
      `Date: ${date(2)}`,
      'Message-ID: <fwd-1@example.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="f"',
      '',
      '--f',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'See the message below.',
      '--f',
      'Content-Type: message/rfc822',
      '',
      'From: Dave <dave@example.test>',
      'Subject: The original',
      'Date: Mon, 2 Nov 2026 10:00:00 +0000',
      '',
      'Original text.',
      '--f--',
      '',
    ].join('\n'),
  );
  return [japanese, russian, alternative, forwarded];
}

/** An HTML mail that tries everything: scripts, handlers, forms, remote CSS, remote images. */
function hostile(base: string): Buffer {
  return ascii(
    [
      'From: "Mallory" <mallory@example.test>',
      `To: ${alice.address}`,
      'Subject: Totally harmless newsletter',
      `Date: ${date(1)}`,
      'Message-ID: <evil-1@example.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      '',
      '<html><head>',
      `<link rel="stylesheet" href="${base}/style.css">`,
      `<style>@import url(${base}/import.css); body { background: url(${base}/bg.png) }</style>`,
      `<script>window.pwned = 1; fetch("${base}/script-ran")</script>`,
      '</head><body>',
      `<h1 onmouseover="window.pwned = 2">News</h1>`,
      `<img src="${base}/photo.png" width="200" height="100" alt="Photo">`,
      `<img src="${base}/pixel.gif" width="1" height="1">`,
      `<img src="x" onerror="window.pwned = 3; fetch('${base}/onerror-ran')">`,
      `<a href="javascript:window.pwned = 4">click me</a>`,
      `<form action="${base}/form"><input name="q"><button>Go</button></form>`,
      `<div style="background-image: url(${base}/div-bg.png)">Styled</div>`,
      `<iframe src="${base}/frame.html"></iframe>`,
      '</body></html>',
      '',
    ].join('\n'),
  );
}

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

async function startTrap(): Promise<{ base: string; hits: string[]; close(): Promise<void> }> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req.url ?? '');
    if (req.url?.endsWith('.png') || req.url?.endsWith('.gif')) res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else res.writeHead(200, { 'content-type': 'text/css' }).end('body{}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function setUp(
  page: import('@playwright/test').Page,
  messages: Buffer[],
  sent: Buffer[] = [],
): Promise<{ app: PetrelApp; host: RunningHost; done(): Promise<void> }> {
  await servers.resetUser('alice');
  for (const m of messages) await servers.doveadm(['save', '-u', alice.login, '-m', 'INBOX'], m);
  for (const m of sent) await servers.doveadm(['save', '-u', alice.login, '-m', 'Sent'], m);
  const host = await startHostWithAutoconfig(servers);
  const app = new PetrelApp(page, host);
  await app.open();
  await app.addAccount({ name: 'Alice', email: alice.address, password: alice.password });
  return {
    app,
    host,
    done: () => host.stop(),
  };
}

test('messages in several charsets, multipart and forwarded display correctly; an attachment saves byte-identical', async ({
  page,
}) => {
  const { done } = await setUp(page, corpus());
  try {
    const open = async (name: RegExp) => {
      await page.getByRole('option', { name }).click();
    };
    const reader = page.getByRole('region', { name: 'Reader' });

    await open(/こんにちは/);
    await expect(reader.getByRole('heading', { name: 'こんにちは' })).toBeVisible();
    await expect(reader.locator('.reader-text')).toContainText('こんにちは');

    await open(/Привет/);
    await expect(reader.getByRole('heading', { name: 'Привет' })).toBeVisible();
    await expect(reader.locator('.reader-text')).toContainText('Привет, мир');
    await expect(reader.locator('.reader-text')).not.toContainText('quoted line one');
    await reader.getByRole('button', { name: /Show quoted text/ }).click();
    await expect(reader.locator('.reader-text')).toContainText('quoted line one');

    await open(/Café crème and a report/);
    await expect(reader.getByRole('heading', { name: 'Café crème and a report' })).toBeVisible();
    const frame = page.frameLocator('iframe[title="Message content"]');
    await expect(frame.locator('b')).toHaveText('rich');
    await expect(frame.locator('body')).toContainText('café report');
    const download = page.waitForEvent('download');
    await reader.getByRole('button', { name: 'Save report.pdf' }).click();
    const file = await (await download).path();
    expect(Buffer.compare(await readFile(file), PDF)).toBe(0);

    await open(/Fwd: The original/);
    await expect(reader.locator('.reader-text')).toContainText('See the message below.');
    await page.screenshot({ path: 'test-results/reading-forwarded.png' });
  } finally {
    await done();
  }
});

test('a hostile HTML message runs no script and loads nothing until allowed, then only its image', async ({ page }) => {
  const trap = await startTrap();
  const { done } = await setUp(page, [hostile(trap.base)]);
  const browserRequests: string[] = [];
  page.on('request', (r) => {
    if (r.url().startsWith(trap.base)) browserRequests.push(r.url());
  });
  try {
    await expect(page.getByTestId('message-count')).toHaveText('1 message');
    await page.getByRole('option', { name: /Totally harmless newsletter/ }).click();
    const frameEl = page.locator('iframe[title="Message content"]');
    await expect(frameEl).toBeVisible();
    const frame = page.frameLocator('iframe[title="Message content"]');
    await expect(frame.locator('h1')).toHaveText('News');
    await frame.locator('h1').hover();
    await frame.getByText('click me').click().catch(() => undefined);
    // Give anything that would run a moment to do so.
    await page.waitForTimeout(1000);
    const inner = page.frames().find((f) => f !== page.mainFrame());
    expect(await inner?.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(trap.hits).toEqual([]);
    expect(browserRequests).toEqual([]);
    expect(await frameEl.getAttribute('sandbox')).not.toContain('allow-scripts');
    await page.screenshot({ path: 'test-results/reading-hostile-blocked.png' });

    await page.getByRole('button', { name: 'Load remote images' }).click();
    await expect(frame.locator('img[alt="Photo"]')).toHaveAttribute('src', /^data:image\/png;base64,/);
    await page.waitForTimeout(500);
    // Only the image, fetched by the engine; never the pixel, the CSS, the frame or a script.
    expect(trap.hits).toEqual(['/photo.png']);
    expect(browserRequests).toEqual([]);
    expect(await inner?.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    await page.screenshot({ path: 'test-results/reading-hostile-allowed.png' });
  } finally {
    await done();
    await trap.close();
  }
});

/** A thread: Bob writes, Alice answers (her copy in Sent), Bob answers her; and one mail alone. */
function thread(): { inbox: Buffer[]; sent: Buffer[] } {
  const mail = (o: { from: string; to: string; subject: string; id: string; refs: string[]; hoursAgo: number; body: string }) =>
    ascii(
      [
        `From: ${o.from}`,
        `To: ${o.to}`,
        `Subject: ${o.subject}`,
        `Date: ${date(o.hoursAgo)}`,
        `Message-ID: <${o.id}@example.test>`,
        ...(o.refs.length > 0 ? [`In-Reply-To: <${o.refs[o.refs.length - 1]}@example.test>`, `References: ${o.refs.map((r) => `<${r}@example.test>`).join(' ')}`] : []),
        'MIME-Version: 1.0',
        'Content-Type: text/plain; charset=utf-8',
        '',
        o.body,
        '',
      ].join('\n'),
    );
  const bob = '"Bob Example" <bob@example.test>';
  const me = `"Alice Example" <${alice.address}>`;
  return {
    inbox: [
      mail({ from: bob, to: alice.address, subject: 'Trip to Lisbon', id: 'trip-1', refs: [], hoursAgo: 30, body: 'Shall we go in May?' }),
      mail({ from: bob, to: alice.address, subject: 'Re: Trip to Lisbon', id: 'trip-3', refs: ['trip-1', 'trip-2'], hoursAgo: 6, body: 'Booked the tickets.' }),
      mail({ from: '"Carol" <carol@example.test>', to: alice.address, subject: 'Hello', id: 'alone-1', refs: [], hoursAgo: 3, body: 'Just saying hello.' }),
    ],
    sent: [mail({ from: me, to: 'bob@example.test', subject: 'Re: Trip to Lisbon', id: 'trip-2', refs: ['trip-1'], hoursAgo: 20, body: 'May works for me.' })],
  };
}

test('a thread spread over INBOX and Sent reads as one conversation, oldest first', async ({ page }) => {
  const { inbox, sent } = thread();
  const { app, done } = await setUp(page, inbox, sent);
  try {
    const reader = page.getByRole('region', { name: 'Reader' });
    // The list says which rows belong to a conversation (Sent may still be syncing: wait for it).
    const latest = page.getByRole('option', { name: /, Re: Trip to Lisbon, .*, 3 messages in conversation$/ });
    await expect(latest).toBeVisible({ timeout: 30_000 });
    await expect(page.getByRole('option', { name: /, Trip to Lisbon, .*, 3 messages in conversation$/ })).toBeVisible();
    await expect(page.getByRole('option', { name: /, Hello, / })).not.toHaveAccessibleName(/in conversation/);

    await latest.click();
    const feed = reader.getByRole('feed', { name: 'Conversation' });
    const articles = feed.getByRole('article');
    await expect(articles).toHaveCount(3);
    await expect(articles.nth(0)).toHaveAccessibleName(/^Bob Example, /);
    await expect(articles.nth(1)).toHaveAccessibleName(/^Alice Example, /);
    await expect(articles.nth(2)).toHaveAccessibleName(/^Bob Example, /);
    // Alice's reply is the copy in Sent, and says so; the others are in this folder.
    await expect(articles.nth(1).locator('.conversation-folder')).toHaveText('Sent');
    await expect(articles.nth(0).locator('.conversation-folder')).toHaveCount(0);
    // The open message is expanded with its body; the others show their first words.
    await expect(articles.nth(2).locator('.reader-text')).toContainText('Booked the tickets.');
    await expect(articles.nth(1)).toContainText('May works for me.');
    await expect(articles.nth(1).locator('.reader-text')).toHaveCount(0);
    await page.screenshot({ path: 'test-results/conversation-light.png' });

    // Expanding by keyboard loads the body (from the engine: Sent's bodies were never opened).
    const head = articles.nth(1).getByRole('button', { expanded: false });
    await head.focus();
    await page.keyboard.press('Enter');
    await expect(articles.nth(1).getByRole('button', { expanded: true })).toBeFocused();
    await expect(articles.nth(1).locator('.reader-text')).toContainText('May works for me.');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: 'test-results/conversation-dark.png' });
    await page.emulateMedia({ colorScheme: 'light' });

    // The same conversation from the Sent folder, where Alice's reply is the open one.
    await app.folders(alice.address).getByRole('treeitem', { name: /^Sent(,|$)/ }).click();
    await page.getByRole('option', { name: /, Re: Trip to Lisbon, / }).click();
    await expect(articles).toHaveCount(3);
    await expect(articles.nth(1)).toHaveAttribute('aria-current', 'true');
    await expect(articles.nth(0).locator('.conversation-folder')).toHaveText('Inbox');

    // g then i: with one account, its INBOX. A message alone reads as before, without a feed.
    await page.keyboard.press('g');
    await page.keyboard.press('i');
    await expect(app.folders(alice.address).getByRole('treeitem', { name: /^Inbox(,|$)/ })).toHaveAttribute('aria-selected', 'true');
    await expect(page.getByRole('listbox', { name: `Messages in Inbox — ${alice.address}` })).toBeFocused();
    await page.getByRole('option', { name: /, Hello, / }).click();
    await expect(reader.getByRole('heading', { name: 'Hello' })).toBeVisible();
    await expect(reader.getByRole('feed')).toHaveCount(0);
  } finally {
    await done();
  }
});

test('the unified inbox lists both accounts, counts their unread mail, and acts per account; g i and c from the keyboard', async ({ page }) => {
  test.setTimeout(150_000);
  const bob = servers.user('bob');
  const plain = (o: { from: string; to: string; subject: string; hoursAgo: number }) =>
    ascii([`From: ${o.from}`, `To: ${o.to}`, `Subject: ${o.subject}`, `Date: ${date(o.hoursAgo)}`, `Message-ID: <${o.subject.replace(/\W/g, '')}@example.test>`, '', `About ${o.subject}.`, ''].join('\n'));
  await servers.resetUser('bob');
  await servers.doveadm(['save', '-u', bob.login, '-m', 'INBOX'], plain({ from: 'Dora <dora@example.test>', to: bob.address, subject: 'Garden party', hoursAgo: 2 }));
  await servers.doveadm(['save', '-u', bob.login, '-m', 'INBOX'], plain({ from: 'Eve <eve@example.test>', to: bob.address, subject: 'Band rehearsal', hoursAgo: 5 }));
  const { app, done } = await setUp(page, [
    plain({ from: 'Frank <frank@example.test>', to: alice.address, subject: 'Quarterly numbers', hoursAgo: 1 }),
    plain({ from: 'Gina <gina@example.test>', to: alice.address, subject: 'Old news', hoursAgo: 4 }),
  ]);
  const flags = async (user: typeof bob, subject: string) =>
    (await servers.doveadm(['fetch', '-u', user.login, 'flags', 'mailbox', 'INBOX', 'SUBJECT', subject])).trim();
  try {
    await servers.doveadm(['flags', 'add', '-u', alice.login, '\\Seen', 'mailbox', 'INBOX', 'SUBJECT', 'Old news']);
    await app.addAccount({ name: 'Bob', email: bob.address, password: bob.password });
    const all = page.getByRole('button', { name: /^All inboxes/ });
    // Above the accounts; three unread: Alice's "Quarterly numbers" and both of Bob's.
    await expect(all).toHaveAccessibleName('All inboxes, 3 unread', { timeout: 30_000 });

    // g then i, from wherever focus is (here: nothing focused), goes there.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('g');
    await page.keyboard.press('i');
    await expect(all).toHaveAttribute('aria-current', 'page');
    const list = page.getByRole('listbox', { name: 'Messages in All inboxes' });
    await expect(list).toBeFocused();
    const rows = list.getByRole('option');
    await expect(rows).toHaveCount(4);
    const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    // Newest first, across accounts, each saying whose it is.
    await expect(rows.nth(0)).toHaveAccessibleName(new RegExp(`^Unread, Frank, Quarterly numbers, .*, ${esc(alice.address)}$`));
    await expect(rows.nth(1)).toHaveAccessibleName(new RegExp(`^Unread, Dora, Garden party, .*, ${esc(bob.address)}$`));
    await expect(rows.nth(2)).toHaveAccessibleName(new RegExp(`^Gina, Old news, .*, ${esc(alice.address)}$`));
    await expect(rows.nth(3)).toHaveAccessibleName(new RegExp(`^Unread, Eve, Band rehearsal, .*, ${esc(bob.address)}$`));
    await page.screenshot({ path: 'test-results/unified-inbox.png' });
    await page.locator('.sidebar').screenshot({ path: 'test-results/unified-sidebar.png' });

    // j moves to the first row and opens it; j again opens Bob's message: both marked read, on their own servers.
    await page.keyboard.press('j');
    await expect(page.getByRole('heading', { name: 'Quarterly numbers' })).toBeVisible();
    // o: into the reader (to scroll it by keyboard); j from there goes on in the list.
    await page.keyboard.press('o');
    await expect(page.getByRole('region', { name: 'Reader' })).toBeFocused();
    await page.keyboard.press('j');
    await expect(page.getByRole('heading', { name: 'Garden party' })).toBeVisible();
    await expect(all).toHaveAccessibleName('All inboxes, 1 unread');
    await expect.poll(() => flags(bob, 'Garden party')).toBe('flags: \\Seen');
    await expect.poll(() => flags(alice, 'Quarterly numbers')).toBe('flags: \\Seen');

    // Actions work on the unified inbox's messages as in a folder: s stars Bob's message on Bob's server.
    await page.keyboard.press('s');
    await expect(rows.nth(1)).toHaveAccessibleName(/^Starred, Dora, Garden party, /);
    await expect.poll(() => flags(bob, 'Garden party')).toBe('flags: \\Flagged \\Seen');
    // u from the reader (focus elsewhere than the list) reaches the list too.
    await page.getByRole('heading', { name: 'Garden party' }).click();
    await page.keyboard.press('u');
    await expect(rows.nth(1)).toHaveAccessibleName(/^Unread, Starred, Dora, /);
    await expect(all).toHaveAccessibleName('All inboxes, 2 unread');
    // e archives it into Bob's Archive; the next row of the unified list (Alice's) opens.
    await page.keyboard.press('e');
    await expect(page.getByRole('heading', { name: 'Old news' })).toBeVisible();
    await expect(rows).toHaveCount(3);
    await expect(all).toHaveAccessibleName('All inboxes, 1 unread');
    await expect
      // \Recent: the moved copy is new to the Archive folder.
      .poll(async () => (await servers.doveadm(['fetch', '-u', bob.login, 'flags', 'mailbox', 'Archive', 'SUBJECT', 'Garden party'])).replace(' \\Recent', '').trim())
      .toBe('flags: \\Flagged');

    // c: a new message; its fields take the keys typed next.
    await page.keyboard.press('c');
    const composer = page.getByRole('dialog').filter({ has: page.getByRole('button', { name: 'Send', exact: true }) });
    await expect(composer).toBeVisible();
    await expect(composer.getByLabel('To', { exact: true })).toBeFocused();
    await page.keyboard.press('c');
    await expect(composer).toHaveCount(1);
    await expect(composer.getByLabel('To', { exact: true })).toHaveValue('c');

    // ?: the shortcuts.
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await expect(help).toBeVisible();
    await expect(help).toContainText('Go to the inbox');
    await page.screenshot({ path: 'test-results/shortcuts-help.png' });
    await page.keyboard.press('Escape');
    await expect(help).toHaveCount(0);
  } finally {
    await done();
  }
});
