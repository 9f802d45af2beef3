import { test as base, expect, type Page } from '@playwright/test';
import { launchBrowser } from './browser';
import { startHost, type RunningHost } from './host';

export class PetrelApp {
  constructor(
    readonly page: Page,
    readonly host: RunningHost,
  ) {}

  async open(): Promise<void> {
    await this.page.goto(this.host.url);
    await this.waitConnected();
  }

  connectionStatus() {
    return this.page.getByTestId('connection-status');
  }

  async waitConnected(): Promise<void> {
    await expect(this.connectionStatus()).toHaveText('Connected');
  }

  /** Opens "Add account" and submits name, address and password (discovery runs next). */
  async startAddAccount(account: { name: string; email: string; password: string }): Promise<void> {
    await this.page.getByRole('button', { name: '+ Add account' }).click();
    const dialog = this.addAccountDialog();
    await dialog.getByLabel('Your name').fill(account.name);
    await dialog.getByLabel('Email address').fill(account.email);
    await dialog.getByLabel('Password', { exact: true }).fill(account.password);
    await dialog.getByRole('button', { name: 'Continue' }).click();
  }

  /** Adds an account that verifies, and waits until it shows in the sidebar. */
  async addAccount(account: { name: string; email: string; password: string }): Promise<void> {
    await this.startAddAccount(account);
    await expect(this.addAccountDialog()).toBeHidden({ timeout: 30_000 });
    await expect(this.account(account.email)).toBeVisible();
  }

  addAccountDialog() {
    return this.page.getByRole('dialog', { name: 'Add a mail account' });
  }

  account(email: string) {
    return this.page.getByTestId(`account-${email}`);
  }

  /** The folder tree of an account, by the folders' visible names. */
  folders(email: string) {
    return this.account(email).getByRole('tree', { name: 'Folders' });
  }
}

export const test = base.extend<{ host: RunningHost; app: PetrelApp }>({
  host: async ({}, use) => {
    const host = await startHost();
    await use(host);
    await host.stop();
  },
  page: async ({}, use) => {
    const browser = await launchBrowser();
    const page = await browser.context.newPage();
    await use(page);
    await browser.close();
  },
  app: async ({ page, host }, use) => {
    await use(new PetrelApp(page, host));
  },
});

export { expect };
