import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startAutoconfigServer, trustedEntry } from './autoconfig-server';

export interface RunningHost {
  url: string;
  origin: string;
  dataDir: string;
  /** Everything the host wrote to stderr (its log), for tests that inspect it. */
  log(): string;
  /** Settles when the host process ends: its exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

const kept: string[] = [];

/**
 * A data directory for hosts that restart on it (a test passes it to each startHost); it is
 * removed when the test worker exits, since no single host owns it.
 */
export async function tempDataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'petrel-data-'));
  if (kept.push(dir) === 1) {
    process.once('exit', () => {
      for (const d of kept) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/** A free port on loopback, for a host that must come back on the same origin after a restart. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts the built Node host (`out/host/host.js`) exactly as a person would, and takes
 * the URL from its first line of output. Without a `dataDir` it makes one and removes it on stop.
 */
export async function startHost(options: { dataDir?: string; port?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunningHost> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'petrel-data-')));
  const child = spawn(
    process.execPath,
    ['out/host/host.js', '--no-open', '--port', String(options.port ?? 0), '--data-dir', dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr?.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const url = await firstLine(child, () => log);
  // A host told to crash (fault injection) is meant to end by itself.
  let stopping = Boolean(options.env?.['PETREL_TEST_CRASH_AFTER_SUBMIT']);
  // A host that ends by itself fails the test later, far from why: say why where it happens.
  child.once('exit', (code, signal) => {
    if (!stopping) process.stderr.write(`\nThe host on ${url.replace(/token=\w+/, 'token=…')} exited by itself (${signal ?? `code ${code}`}). Its log:\n${log}\n`);
  });
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) {
        // Gone before the next host takes the same port.
        child.kill('SIGKILL');
        await exited;
      }
    }
    // The host logs a stray rejection and goes on (process-guards.ts); it is still a bug, so say so.
    if (log.includes('unhandled promise rejection')) {
      process.stderr.write(`\nThe host on ${url.replace(/token=\w+/, 'token=…')} logged an unhandled promise rejection. Its log:\n${log}\n`);
    }
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  return { url, origin: new URL(url).origin, dataDir, log: () => log, exited, stop };
}

function firstLine(child: ChildProcess, log: () => string): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`host did not start in 20 s:\n${log()}`)), 20_000);
    rl.once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code}:\n${log()}`));
    });
  });
}

/**
 * A host that finds the test mail servers through autoconfig (their certificate trusted), as a
 * person adding an account at example.test would; stop() also stops the autoconfig server.
 * `dataDir` and `port` as for startHost (a host restarted on the same ones keeps the page's origin).
 */
export async function startHostWithAutoconfig(
  servers: Parameters<typeof trustedEntry>[0],
  options: { dataDir?: string; port?: number } = {},
): Promise<RunningHost> {
  const autoconfig = await startAutoconfigServer({ 'example.test': trustedEntry(servers) });
  try {
    const host = await startHost({ ...options, env: { PETREL_AUTOCONFIG_URL: autoconfig.urlTemplate } });
    return {
      ...host,
      stop: async () => {
        await host.stop();
        await autoconfig.close();
      },
    };
  } catch (e) {
    await autoconfig.close();
    throw e;
  }
}
