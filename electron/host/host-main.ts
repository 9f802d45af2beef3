/**
 * The Node host (loaded by host.ts): runs the same mail engine as the desktop app and serves the app to a
 * browser on this machine. `npm run serve` starts it. The first line it prints is the
 * URL with the session token (as Jupyter does); everything else goes to stderr.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PetrelError } from '../../shared/errors';
import { createLogger } from '../core/log';
import { Engine, createRpcServer } from '../core/engine';
import { installProcessGuards } from '../core/process-guards';
import { PETREL_VERSION } from '../core/version';
import { USAGE, isLoopback, parseHostArgs } from './args';
import { defaultDataDir } from './paths';
import { discoveryOverridesFromEnv } from './discovery-overrides';
import { startHostServer } from './server';

async function main(): Promise<number> {
  const log = createLogger('host');
  installProcessGuards(process, log, () => process.exit(1));
  let args;
  try {
    args = parseHostArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!isLoopback(args.host)) {
    log.warn(
      `Listening on ${args.host}: anyone who can reach this address and has the token can read and send your mail.`,
    );
  }
  const dataDir = args.dataDir ?? defaultDataDir();
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const engine = new Engine({
    dataDir,
    version: PETREL_VERSION,
    logger: log.child('engine'),
    discovery: discoveryOverridesFromEnv(),
  });
  const rpc = createRpcServer(engine, 'websocket');
  const token = sessionToken(process.env.PETREL_TOKEN);
  let server;
  try {
    server = await startHostServer({
      host: args.host,
      port: args.port,
      token,
      rendererDir: fileURLToPath(new URL('../renderer/', import.meta.url)),
      attach: (t) => rpc.attach(t),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      process.stderr.write(
        `Port ${args.port} is already in use. Is Petrel already running? Open its URL, or pass --port N.\n`,
      );
      return 1;
    }
    throw e;
  }
  // Logged in by the time the page asks to resume (it reads its cache first).
  void engine.sync.preconnect();
  process.stdout.write(`${server.url}\n`);
  log.info(`Petrel ${PETREL_VERSION} serving on ${server.url.replace(token, '<token>')}; data in ${dataDir}`);
  if (args.open) openBrowser(server.url);

  const stop = async (signal: string) => {
    log.info(`${signal}: shutting down`);
    await server.close();
    await engine.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
  return -1;
}

/**
 * A fresh random token each start, unless PETREL_TOKEN gives one (scripts and tests
 * that restart the host and want open pages to reconnect by themselves).
 */
function sessionToken(fromEnv: string | undefined): string {
  if (fromEnv === undefined || fromEnv === '') return randomBytes(24).toString('hex');
  if (!/^[A-Za-z0-9_-]{32,256}$/.test(fromEnv)) {
    throw new PetrelError('BAD_REQUEST', 'PETREL_TOKEN must be 32 to 256 letters, digits, "-" or "_".');
  }
  return fromEnv;
}

function openBrowser(url: string): void {
  const [cmd, ...rest] =
    process.platform === 'darwin' ? ['open'] : process.platform === 'win32' ? ['cmd', '/c', 'start', '""'] : ['xdg-open'];
  try {
    const child = spawn(cmd ?? 'xdg-open', [...rest, url], { stdio: 'ignore', detached: true });
    child.on('error', () => process.stderr.write(`Open ${url} in your browser.\n`));
    child.unref();
  } catch {
    process.stderr.write(`Open ${url} in your browser.\n`);
  }
}

main().then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (e: unknown) => {
    process.stderr.write(
      e instanceof PetrelError ? `${e.message}\n` : `Petrel could not start: ${e instanceof Error ? e.stack : String(e)}\n`,
    );
    process.exit(1);
  },
);
