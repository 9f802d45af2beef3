/**
 * PETREL_TEST_CRASH_AFTER_SUBMIT for real: a process with it set exits with 137 right after
 * the journal records the submission; an engine started afterwards completes the message
 * without sending it again. Without the variable the same process just sends.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SubmitParamsSchema, type Account } from '../../../shared/contract';
import { createLogger } from '../log';
import { CRASH_AFTER_SUBMIT_ENV, OutboxService } from './service';
import { startFakeSmtp, type FakeSmtp } from './testing/fake-smtp';

let dir: string;
let smtp: FakeSmtp;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'petrel-crash-'));
  smtp = await startFakeSmtp({ password: 'secret' });
});
afterEach(async () => {
  await smtp.close();
  await rm(dir, { recursive: true, force: true });
});

function runChild(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'electron/core/outbox/testing/crash-child.ts'], {
      env: { ...process.env, PETREL_TEST_DATA_DIR: dir, PETREL_TEST_SMTP_PORT: String(smtp.port), [CRASH_AFTER_SUBMIT_ENV]: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the crash-after-submit fault injection', () => {
  it('exits with 137 after the submission; a restarted engine finishes without a second send', async () => {
    const { code, stdout } = await runChild({ [CRASH_AFTER_SUBMIT_ENV]: '1' });
    expect(code).toBe(137);
    expect(stdout).toBe('');
    expect(smtp.received).toHaveLength(1);
    const params = SubmitParamsSchema.parse(JSON.parse(await readFile(join(dir, 'params.json'), 'utf8')));
    const restarted = new OutboxService({
      dataDir: dir,
      log: createLogger('test', () => undefined),
      accounts: {
        get: async () => ({ id: 'acct-alice', smtp: { host: '127.0.0.1', port: smtp.port }, imap: { host: '127.0.0.1', port: 1 } }) as Account,
        secretsOf: async () => ({ password: 'secret' }),
      },
      crashAfterSubmit: false,
    });
    expect((await restarted.journal.get(params.messageId))?.state).toBe('submitted');
    expect(await restarted.submit(params)).toMatchObject({ state: 'sent' });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.connections).toBe(1);
  }, 30_000);

  it('is inert unless set', async () => {
    const { code, stdout } = await runChild({});
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ state: 'sent' });
  }, 30_000);
});
