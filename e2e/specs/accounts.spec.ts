import { X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { connect } from 'node:tls';
import type { Page } from '@playwright/test';
import { loadMailServersFromEnv } from '../mailserver/mailserver';
import { startAutoconfigServer, trustedEntry, type AutoconfigEntry } from '../support/autoconfig-server';
import { expect, PetrelApp, test } from '../support/fixtures';
import { startHost, tempDataDir, type RunningHost } from '../support/host';

const servers = loadMailServersFromEnv();
const alice = servers.user('alice');
const bob = servers.user('bob');
const carol = servers.user('carol');

const trusted: AutoconfigEntry = trustedEntry(servers);

/** Every record of every IndexedDB database of the page, as one string. */
async function dumpIndexedDb(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const out: unknown[] = [];
    for (const info of await indexedDB.databases()) {
      if (!info.name) continue;
      const db = await new Promise<IDBDatabase>((res, rej) => {
        const r = indexedDB.open(info.name!);
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      for (const store of Array.from(db.objectStoreNames)) {
        const rows = await new Promise<unknown[]>((res, rej) => {
          const r = db.transaction(store).objectStore(store).getAll();
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
        out.push({ db: info.name, store, rows });
      }
      db.close();
    }
    return JSON.stringify(out);
  });
}

function certificateFingerprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // Reads the certificate only (no login): the test compares what the UI shows with the real one.
    const s = connect({ host, port, rejectUnauthorized: false }, () => {
      const der = s.getPeerCertificate().raw;
      s.destroy();
      resolve(new X509Certificate(der).fingerprint256);
    });
    s.on('error', reject);
  });
}

/** A host; restarting one on the same port keeps the browser origin, and so its IndexedDB. */
async function withHost(env: NodeJS.ProcessEnv, dataDir?: string, previous?: RunningHost): Promise<RunningHost> {
  return startHost({
    env,
    dataDir: dataDir ?? (await tempDataDir()),
    port: previous ? Number(new URL(previous.url).port) : 0,
  });
}

test.beforeEach(async () => {
  await Promise.all(['alice', 'bob', 'carol'].map((u) => servers.resetUser(u)));
});

test('two accounts set up through autoconfig connect, show their folders, survive a restart, and no password leaks', async ({
  page,
}) => {
  const autoconfig = await startAutoconfigServer({ 'example.test': trusted });
  const dataDir = await tempDataDir();
  const env = { PETREL_AUTOCONFIG_URL: autoconfig.urlTemplate };
  await servers.doveadm(
    ['save', '-u', alice.login, '-m', 'INBOX'],
    `From: Bob Example <${bob.address}>\r\nTo: ${alice.address}\r\nSubject: Welcome aboard\r\nDate: ${new Date().toUTCString()}\r\nMessage-ID: <welcome-1@example.test>\r\n\r\nGlad you are here.\r\n`,
  );
  let host = await withHost(env, dataDir);
  try {
    const app = new PetrelApp(page, host);
    await app.open();
    await app.addAccount({ name: 'Alice Example', email: alice.address, password: alice.password });
    await expect(page.getByRole('option', { name: /Welcome aboard/ })).toBeVisible();
    expect(autoconfig.requests.some((r) => r.startsWith('/example.test/'))).toBe(true);
    await app.addAccount({ name: 'Bob Example', email: bob.address, password: bob.password });
    for (const who of [alice, bob]) {
      const tree = app.folders(who.address);
      for (const name of ['Inbox', 'Drafts', 'Sent', 'Archive', 'Junk', 'Trash']) {
        await expect(tree.getByRole('treeitem', { name: new RegExp(`^${name}(,|$)`) })).toBeVisible();
      }
      await expect(app.account(who.address).getByRole('img', { name: 'Connected' })).toBeVisible();
    }
    await page.screenshot({ path: 'test-results/accounts-two.png' });

    // Restart the host: the accounts are still there and connect again.
    await host.stop();
    host = await withHost(env, dataDir, host);
    const again = new PetrelApp(page, host);
    await again.open();
    await expect(again.account(alice.address)).toBeVisible();
    await expect(again.account(bob.address)).toBeVisible();
    await expect(again.account(bob.address).getByRole('img', { name: 'Connected' })).toBeVisible();

    // The passwords are nowhere but the secrets file, which only its owner can read.
    const settings = await readFile(join(dataDir, 'accounts.json'), 'utf8');
    const idb = await dumpIndexedDb(page);
    for (const secret of [alice.password, bob.password]) {
      expect(settings).not.toContain(secret);
      expect(idb).not.toContain(secret);
      expect(host.log()).not.toContain(secret);
    }
    expect(idb).toContain('Welcome aboard'); // the dump really holds the cache
    expect((await stat(join(dataDir, 'secrets.json'))).mode & 0o777).toBe(0o600);
  } finally {
    await host.stop();
    await autoconfig.close();
  }
});

test('a wrong password shows a clear message and saves nothing', async ({ page }) => {
  const autoconfig = await startAutoconfigServer({ 'example.test': trusted });
  const host = await withHost({ PETREL_AUTOCONFIG_URL: autoconfig.urlTemplate });
  try {
    const app = new PetrelApp(page, host);
    await app.open();
    await app.startAddAccount({ name: 'Carol', email: carol.address, password: 'not-her-password' });
    const dialog = app.addAccountDialog();
    await expect(dialog.getByTestId('verify-imap')).toContainText('rejected the user name or password');
    await expect(dialog.getByTestId('verify-smtp')).toContainText('rejected the user name or password');
    await page.screenshot({ path: 'test-results/accounts-wrong-password.png' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(page.getByText('No accounts yet.')).toBeVisible();
    await expect(stat(join(host.dataDir, 'accounts.json'))).rejects.toThrow();
    await expect(stat(join(host.dataDir, 'secrets.json'))).rejects.toThrow();
    expect(host.log()).not.toContain('not-her-password');
  } finally {
    await host.stop();
    await autoconfig.close();
  }
});

test('an untrusted certificate shows its fingerprint; trusting it connects; a different certificate is refused', async ({
  page,
}) => {
  const untrusted: AutoconfigEntry = {
    ...trusted,
    imap: { host: servers.imap.untrustedHost, port: servers.imap.tlsPort, socketType: 'SSL' },
  };
  const autoconfig = await startAutoconfigServer({ 'example.test': untrusted });
  const dataDir = await tempDataDir();
  const env = { PETREL_AUTOCONFIG_URL: autoconfig.urlTemplate };
  let host = await withHost(env, dataDir);
  try {
    const real = await certificateFingerprint(servers.imap.untrustedHost, servers.imap.tlsPort);
    const app = new PetrelApp(page, host);
    await app.open();
    await app.startAddAccount({ name: 'Carol', email: carol.address, password: carol.password });
    const dialog = app.addAccountDialog();
    await expect(dialog.getByTestId('verify-imap')).toContainText('not trusted');
    await expect(dialog.getByTestId('cert-fingerprint')).toHaveText(real);
    await page.screenshot({ path: 'test-results/accounts-untrusted-cert.png' });
    await dialog.getByRole('button', { name: 'Trust this certificate' }).click();
    await expect(dialog).toBeHidden({ timeout: 30_000 });
    await expect(app.folders(carol.address).getByRole('treeitem', { name: 'Inbox' })).toBeVisible();

    // The server now shows another certificate: Petrel refuses it and says why.
    await servers.rotateUntrustedCertificate();
    await host.stop();
    host = await withHost(env, dataDir, host);
    const again = new PetrelApp(page, host);
    await again.open();
    await expect(again.account(carol.address).getByRole('alert')).toContainText(/certificate/i, { timeout: 30_000 });
    await expect(again.account(carol.address).getByRole('img', { name: 'Needs attention' })).toBeVisible();
  } finally {
    await host.stop();
    await autoconfig.close();
  }
});

test('account settings: servers are re-verified before saving, identities and order are kept', async ({ page }) => {
  const autoconfig = await startAutoconfigServer({ 'example.test': trusted });
  const host = await withHost({ PETREL_AUTOCONFIG_URL: autoconfig.urlTemplate });
  try {
    const app = new PetrelApp(page, host);
    await app.open();
    await app.addAccount({ name: 'Alice Example', email: alice.address, password: alice.password });
    await app.addAccount({ name: 'Bob Example', email: bob.address, password: bob.password });

    await page.getByRole('button', { name: `Settings for ${alice.address}` }).click();
    const dialog = page.getByRole('dialog', { name: `Account settings — ${alice.address}` });
    // A wrong port is refused with the server check's words, and nothing is saved.
    await dialog.getByLabel('IMAP port').fill('1');
    await dialog.getByRole('button', { name: 'Check and save servers' }).click();
    await expect(dialog.getByTestId('verify-imap')).toContainText('could not reach');
    let saved = JSON.parse(await readFile(join(host.dataDir, 'accounts.json'), 'utf8')) as {
      accounts: { email: string; imap: { port: number }; identities: { email: string }[] }[];
    };
    expect(saved.accounts.find((a) => a.email === alice.address)?.imap.port).toBe(servers.imap.tlsPort);

    // A second identity with a signature.
    await dialog.getByRole('button', { name: 'Add identity' }).click();
    await dialog.getByLabel('Identity 2 address').fill('alice.work@example.test');
    await dialog.getByLabel('Identity 2 signature').fill('-- \nAlice at work');
    await page.screenshot({ path: 'test-results/accounts-settings.png' });
    await dialog.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(dialog).toBeHidden();
    saved = JSON.parse(await readFile(join(host.dataDir, 'accounts.json'), 'utf8'));
    expect(saved.accounts.find((a) => a.email === alice.address)?.identities.map((i) => i.email)).toEqual([
      alice.address,
      'alice.work@example.test',
    ]);

    // Order: alice moves below bob.
    const order = () => page.locator('[data-testid^="account-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(await order()).toEqual([`account-${alice.address}`, `account-${bob.address}`]);
    await page.getByRole('button', { name: `Settings for ${alice.address}` }).click();
    await dialog.getByRole('button', { name: 'Move down' }).click();
    await expect.poll(order).toEqual([`account-${bob.address}`, `account-${alice.address}`]);
  } finally {
    await host.stop();
    await autoconfig.close();
  }
});
