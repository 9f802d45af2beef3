import { defineConfig } from '@playwright/test';

// E2E runs the built app through the Node host in Debian's Chromium (Playwright cannot
// download its own browsers here). `npm run test:e2e` builds first and starts the mail servers.
export default defineConfig({
  testDir: 'e2e/specs',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: { trace: 'retain-on-failure', screenshot: 'only-on-failure' },
});
