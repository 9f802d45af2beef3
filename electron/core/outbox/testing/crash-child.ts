/**
 * Child process for crash.test.ts: an outbox service with the environment's settings (so
 * PETREL_TEST_CRASH_AFTER_SUBMIT applies for real) submits one message to the scripted SMTP
 * server on PETREL_TEST_SMTP_PORT, after writing what it submits to <dataDir>/params.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ComposeInputSchema, type Account } from '../../../../shared/contract';
import { createLogger } from '../../log';
import { OutboxService } from '../service';

const dataDir = process.env.PETREL_TEST_DATA_DIR!;
const port = Number(process.env.PETREL_TEST_SMTP_PORT);
const account: Account = {
  id: 'acct-alice',
  label: 'Alice',
  name: 'Alice',
  email: 'alice@example.test',
  auth: { method: 'password' },
  imap: { host: '127.0.0.1', port: 1, security: 'none', username: 'alice' },
  smtp: { host: '127.0.0.1', port, security: 'none', username: 'alice' },
  pins: [],
  color: '#336699',
  order: 0,
  identities: [{ id: 'main', name: 'Alice', email: 'alice@example.test', signature: '' }],
  separateSmtpPassword: false,
  createdAt: 0,
};

async function main() {
  const svc = new OutboxService({
    dataDir,
    log: createLogger('child', () => undefined),
    accounts: { get: async () => account, secretsOf: async () => ({ password: 'secret' }) },
  });
  const built = await svc.build(
    ComposeInputSchema.parse({ accountId: account.id, identityId: 'main', to: [{ address: 'bob@example.test' }], subject: 'Crash' }),
  );
  const params = { accountId: account.id, messageId: built.messageId, raw: built.raw, envelope: built.envelope, saveToSent: false, resend: false };
  writeFileSync(join(dataDir, 'params.json'), JSON.stringify(params));
  const res = await svc.submit(params);
  process.stdout.write(`${JSON.stringify(res)}\n`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  },
);
