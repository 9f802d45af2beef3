import { expect, test } from '../support/fixtures';
import { startHost } from '../support/host';

test('the app connects to the engine through the Node host and answers a call from the UI', async ({ app, page }) => {
  await app.open();
  // The token leaves the address bar once taken.
  expect(page.url()).not.toContain('token=');
  await expect(page.getByTestId('engine-version')).not.toHaveText('—');
  await expect(page.getByText('Browser, served by this machine')).toBeVisible();
  await page.getByRole('button', { name: 'Test connection' }).click();
  await expect(page.getByTestId('check-result')).toHaveText(/The engine answered in \d+ ms\./);
  await page.screenshot({ path: 'test-results/foundation-connected.png' });
});

test('a wrong token is refused with a clear message and no retry loop', async ({ page, host }) => {
  await page.goto(host.url.replace(/token=\w+/, 'token=wrong'));
  await expect(page.getByTestId('connection-status')).toHaveText('Access refused');
  await expect(page.getByRole('alert')).toContainText('did not accept this page’s access token');
});

test('the app reconnects by itself when the host comes back', async ({ page }) => {
  const token = 'e2e-reconnect-token-0123456789abcdef';
  const first = await startHost({ env: { PETREL_TOKEN: token } });
  const port = Number(new URL(first.url).port);
  await page.goto(first.url);
  await expect(page.getByTestId('connection-status')).toHaveText('Connected');
  await first.stop();
  await expect(page.getByTestId('connection-status')).toHaveText(/Offline|Connecting/);
  await expect(page.getByRole('alert')).toContainText('not reachable');
  await page.screenshot({ path: 'test-results/foundation-offline.png' });
  const again = await startHost({ port, env: { PETREL_TOKEN: token } });
  try {
    await expect(page.getByTestId('connection-status')).toHaveText('Connected', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Test connection' }).click();
    await expect(page.getByTestId('check-result')).toHaveText(/The engine answered/);
  } finally {
    await again.stop();
  }
});
