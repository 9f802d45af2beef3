/**
 * Starts and stops the test mail servers by hand, for running tests or the app against them:
 *
 *   tsx e2e/mailserver/cli.ts start  [--dir DIR]          prints the descriptor path (env.json)
 *   tsx e2e/mailserver/cli.ts status [--dir DIR]          exit 0 if both daemons run
 *   tsx e2e/mailserver/cli.ts stop   [--dir DIR] [--keep] stops them, removes DIR unless --keep
 *
 * Without --dir, status and stop use the servers of $PETREL_TEST_MAILSERVERS, else the ones
 * started last. Stop ends only the daemons recorded in DIR's pid files.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { MAILSERVERS_ENV_VAR, attachMailServers, mailServersStatus, startMailServers, writeMailServersEnv } from './mailserver';

/** Remembers the state folder of the last `start`, so `stop` needs no arguments. */
const LAST_STARTED = path.join(os.tmpdir(), 'petrel-mailservers.last');

const USAGE = 'Usage: tsx e2e/mailserver/cli.ts start|stop|status [--dir DIR] [--keep]';

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { dir: { type: 'string' }, keep: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const command = positionals[0];
  if (values.help || positionals.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  switch (command) {
    case 'start':
      return start(values.dir);
    case 'stop':
      return stop(chooseDir(values.dir), values.keep);
    case 'status':
      return status(chooseDir(values.dir));
    default:
      process.stderr.write(`Unknown command '${command}'.\n${USAGE}\n`);
      return 2;
  }
}

async function start(dir: string | undefined): Promise<number> {
  const servers = await startMailServers({ dir });
  const env = writeMailServersEnv(servers);
  fs.writeFileSync(LAST_STARTED, `${servers.dir}\n`);
  process.stdout.write(`${servers.envPath}\n`);
  const exports = Object.entries(env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  process.stderr.write(
    `Test mail servers running from ${servers.dir}: IMAPS ${servers.imap.tlsPort}, IMAP+STARTTLS ${servers.imap.starttlsPort}, ` +
      `submission ${servers.smtp.submissionPort}, submissions ${servers.smtp.tlsPort}; users ${servers.users.map((u) => u.login).join(', ')}.\n` +
      `  export ${exports}\n` +
      `Stop them with: tsx e2e/mailserver/cli.ts stop --dir ${servers.dir}\n`,
  );
  return 0;
}

async function stop(dir: string, keep: boolean): Promise<number> {
  await attachMailServers(dir).stop({ keep });
  if (readLastStarted() === dir) fs.rmSync(LAST_STARTED, { force: true });
  process.stderr.write(`Stopped the test mail servers of ${dir}${keep ? ' (state kept)' : ''}.\n`);
  return 0;
}

function status(dir: string): number {
  const servers = attachMailServers(dir);
  const { dovecotPid, postfixPid } = mailServersStatus(servers);
  const running = dovecotPid !== undefined && postfixPid !== undefined;
  const report = { dir, running, dovecotPid: dovecotPid ?? null, postfixPid: postfixPid ?? null, envPath: servers.envPath, imap: servers.imap, smtp: servers.smtp };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  return running ? 0 : 1;
}

function chooseDir(explicit: string | undefined): string {
  if (explicit) return path.resolve(explicit);
  const fromEnv = process.env[MAILSERVERS_ENV_VAR];
  if (fromEnv) return path.dirname(fromEnv);
  const last = readLastStarted();
  if (last) return last;
  throw new Error(`No test mail servers known: pass --dir DIR (the folder printed by start) or set ${MAILSERVERS_ENV_VAR}.`);
}

function readLastStarted(): string | undefined {
  try {
    return fs.readFileSync(LAST_STARTED, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
