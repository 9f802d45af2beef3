import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMailServersFromEnv } from '../mailserver/mailserver';
import { startAutoconfigServer } from '../support/autoconfig-server';
import { expect, PetrelApp, test } from '../support/fixtures';
import { startHost, type RunningHost } from '../support/host';

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

async function setUp(page: import('@playwright/test').Page, messages: Buffer[]): Promise<{ app: PetrelApp; host: RunningHost; done(): Promise<void> }> {
  await servers.resetUser('alice');
  for (const m of messages) await servers.doveadm(['save', '-u', alice.login, '-m', 'INBOX'], m);
  const autoconfig = await startAutoconfigServer({
    'example.test': {
      imap: { host: 'localhost', port: servers.imap.tlsPort, socketType: 'SSL' },
      smtp: { host: 'localhost', port: servers.smtp.submissionPort, socketType: 'STARTTLS' },
    },
  });
  const host = await startHost({
    env: { PETREL_AUTOCONFIG_URL: autoconfig.urlTemplate },
    dataDir: await mkdtemp(join(tmpdir(), 'petrel-data-')),
  });
  const app = new PetrelApp(page, host);
  await app.open();
  await app.addAccount({ name: 'Alice', email: alice.address, password: alice.password });
  return {
    app,
    host,
    done: async () => {
      await host.stop();
      await autoconfig.close();
    },
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
