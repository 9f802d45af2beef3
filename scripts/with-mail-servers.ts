/**
 * `tsx scripts/with-mail-servers.ts <command...>`: starts the test mail servers, runs the
 * command with PETREL_TEST_MAILSERVERS (the descriptor) and NODE_EXTRA_CA_CERTS (the test
 * CA) set, stops the servers (also when the command fails or we get SIGINT/SIGTERM/SIGHUP)
 * and exits with the command's exit code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMailServers, writeMailServersEnv, type MailServers } from '../e2e/mailserver/mailserver';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long the command gets to exit after a forwarded signal before it is killed. */
const CHILD_GRACE_MS = 10_000;

/** The running command, and the first termination signal we got. */
const state: { child?: ChildProcess; signal?: NodeJS.Signals; killTimer?: NodeJS.Timeout } = {};

/**
 * Handled from the very start: a signal during start-up must not kill us before the
 * servers we are starting are stopped again. A Ctrl-C reaches the command directly too;
 * forwarding it again just makes test runners hurry.
 */
function onSignal(signal: NodeJS.Signals): void {
  state.signal ??= signal;
  if (!state.child) return;
  state.child.kill(signal);
  state.killTimer ??= setTimeout(() => state.child?.kill('SIGKILL'), CHILD_GRACE_MS);
}

async function main(command: string[]): Promise<number> {
  if (command.length === 0) {
    process.stderr.write('Usage: tsx scripts/with-mail-servers.ts <command> [args...]\n');
    return 2;
  }
  for (const signal of SIGNALS) process.on(signal, onSignal);
  const servers = await startMailServers();
  try {
    if (state.signal) return exitCodeFor(state.signal);
    return await runCommand(command, servers);
  } finally {
    clearTimeout(state.killTimer);
    await servers.stop();
  }
}

function runCommand(command: string[], servers: MailServers): Promise<number> {
  // Local binaries (vitest, playwright) resolve as they do under `npm run`.
  const binDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', '.bin');
  const env = {
    ...process.env,
    ...writeMailServersEnv(servers),
    PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}`,
  };
  const [bin, ...args] = command as [string, ...string[]];
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: 'inherit', env });
    state.child = child;
    child.once('error', (error) => {
      process.stderr.write(`Cannot run ${bin}: ${error.message}\n`);
      resolve(127);
    });
    child.once('exit', (code, signal) => resolve(code ?? exitCodeFor(signal)));
  });
}

/** The shell's convention for "terminated by a signal". */
function exitCodeFor(signal: NodeJS.Signals | null): number {
  const number = signal ? os.constants.signals[signal] : undefined;
  return number ? 128 + number : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
