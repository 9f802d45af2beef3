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
