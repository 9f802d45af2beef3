import type { Page } from '@playwright/test';
import { loadMailServersFromEnv, type MailUser } from '../mailserver/mailserver';
import { expect, PetrelApp, test } from '../support/fixtures';
import { startHostWithAutoconfig } from '../support/host';

/**
 * Search through the UI: two accounts with delivered mail; a word finds messages of both,
 * operators narrow (from:, is:unread, has:attachment, in:sent), `/` focuses the box, results
 * follow typing, and a result opens in the reader.
 */

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const bob = servers.user('bob');
const CRLF = '\r\n';

let n = 0;
function raw(o: { from: string; to: string; subject: string; body: string; hoursAgo: number; attachment?: boolean }): string {
  n++;
  const head = [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date(Date.now() - o.hoursAgo * 3600e3).toUTCString()}`,
    `Message-ID: <search-${n}-${Date.now()}@example.test>`,
    'MIME-Version: 1.0',
  ];
  if (!o.attachment) return [...head, 'Content-Type: text/plain; charset=utf-8', '', o.body, ''].join(CRLF);
  return [
    ...head,
    'Content-Type: multipart/mixed; boundary="sep"',
    '',
    '--sep',
    'Content-Type: text/plain; charset=utf-8',
    '',
    o.body,
    '--sep',
    'Content-Type: application/pdf; name="figures.pdf"',
    'Content-Disposition: attachment; filename="figures.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    Buffer.from('%PDF-1.4 not really').toString('base64'),
    '--sep--',
    '',
  ].join(CRLF);
}

async function deliver(user: MailUser, folder: string, message: string): Promise<void> {
  await servers.doveadm(['save', '-u', user.login, '-m', folder], message);
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const box = (page: Page) => page.getByRole('search', { name: 'Search mail' }).getByRole('searchbox', { name: 'Search mail' });
const results = (page: Page) => page.getByRole('listbox', { name: 'Search results' }).getByRole('option');
const result = (page: Page, subject: string) => page.getByRole('listbox', { name: 'Search results' }).getByRole('option', { name: new RegExp(`, ${subject}, `) });

test('search finds mail of both accounts as you type, with operators', async ({ page }) => {
  test.setTimeout(150_000);
  await Promise.all(['alice', 'bob'].map((u) => servers.resetUser(u)));
  await deliver(alice, 'INBOX', raw({ from: `Carol Diaz <carol@example.test>`, to: alice.address, subject: 'Quarterly budget review', body: 'Figures attached, see page 3.', hoursAgo: 5, attachment: true }));
  await deliver(alice, 'INBOX', raw({ from: `Bob Example <${bob.address}>`, to: alice.address, subject: 'Lunch on Friday', body: 'Ramen or pizza?', hoursAgo: 4 }));
  await deliver(alice, 'INBOX', raw({ from: `Dan Okafor <dan@example.test>`, to: alice.address, subject: 'Café opening', body: 'The new café opens next week.', hoursAgo: 3 }));
  await deliver(alice, 'Sent', raw({ from: `Alice Example <${alice.address}>`, to: 'carol@example.test', subject: 'Re: Quarterly budget review', body: 'Thanks, the budget looks fine.', hoursAgo: 2 }));
  await deliver(bob, 'INBOX', raw({ from: `Alice Example <${alice.address}>`, to: bob.address, subject: 'Budget for the offsite', body: 'Can we keep it under the budget?', hoursAgo: 1 }));
  // Read already: everything of Alice's but the budget review and the café.
  await servers.doveadm(['flags', 'add', '-u', alice.login, '\\Seen', 'mailbox', 'INBOX', 'SUBJECT', 'Lunch']);
  await servers.doveadm(['flags', 'add', '-u', alice.login, '\\Seen', 'mailbox', 'Sent', 'ALL']);

  const host = await startHostWithAutoconfig(servers);
  try {
    const app = new PetrelApp(page, host);
    await app.open();
    await app.addAccount({ name: 'Alice Example', email: alice.address, password: alice.password });
    await app.addAccount({ name: 'Bob Example', email: bob.address, password: bob.password });

    // `/` focuses the box (from anywhere but a text field).
    await page.locator('body').press('/');
    await expect(box(page)).toBeFocused();

    // A word, across both accounts, newest first; results come while typing ("budg").
    await page.keyboard.type('budg');
    await expect(results(page)).toHaveCount(3, { timeout: 30_000 });
    await expect(results(page).nth(0)).toHaveAccessibleName(new RegExp(`Budget for the offsite, .*in Inbox — ${esc(bob.address)}$`));
    await expect(results(page).nth(1)).toHaveAccessibleName(new RegExp(`Re: Quarterly budget review, .*in Sent — ${esc(alice.address)}$`));
    await expect(results(page).nth(2)).toHaveAccessibleName(new RegExp(`^Unread, Carol Diaz, Quarterly budget review, .*in Inbox — ${esc(alice.address)}$`));
    await expect(page.getByTestId('search-count')).toHaveText('3 results');
    await page.screenshot({ path: 'test-results/search-word.png' });

    // Diacritics fold both ways.
    await box(page).fill('cafe');
    await expect(results(page)).toHaveCount(1);
    await expect(result(page, 'Café opening')).toBeVisible();

    // Operators.
    await box(page).fill('from:carol');
    await expect(results(page)).toHaveCount(1);
    await expect(result(page, 'Quarterly budget review')).toBeVisible();

    await box(page).fill('is:unread');
    await expect(results(page)).toHaveCount(3);
    await expect(result(page, 'Lunch on Friday')).toHaveCount(0);
    await expect(result(page, 'Budget for the offsite')).toBeVisible();

    await box(page).fill('has:attachment');
    await expect(results(page)).toHaveCount(1);
    await expect(result(page, 'Quarterly budget review')).toHaveAccessibleName(new RegExp(`in Inbox — ${esc(alice.address)}$`));

    await box(page).fill('in:sent');
    await expect(results(page)).toHaveCount(1);
    await expect(result(page, 'Re: Quarterly budget review')).toBeVisible();

    await box(page).fill('budget -in:sent is:unread');
    await expect(results(page)).toHaveCount(2);

    await box(page).fill('lunch offsite');
    await expect(results(page)).toHaveCount(0);
    await expect(page.getByText('No messages match.')).toBeVisible();

    // A result opens in the reader.
    await box(page).fill('offsite');
    await expect(results(page)).toHaveCount(1);
    await result(page, 'Budget for the offsite').click();
    await expect(page.getByRole('heading', { name: 'Budget for the offsite' })).toBeVisible();
    await page.screenshot({ path: 'test-results/search-open.png' });

    // Escape clears the search: the folder's messages are back.
    await box(page).press('Escape');
    await expect(box(page)).toHaveValue('');
    await expect(page.getByRole('listbox', { name: 'Search results' })).toHaveCount(0);
  } finally {
    await host.stop();
  }
});
