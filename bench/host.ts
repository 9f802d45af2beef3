/**
 * The built host (out/host/host.js) as e2e/support/host.ts starts it, plus what the
 * benchmark needs: the process id (for RSS from /proc), optional node flags (CPU
 * profiles) and the IMAP probe (see imap-probe.mjs).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface BenchHost {
  url: string;
  pid: number;
  dataDir: string;
  log(): string;
  /** Settles when the host process ends, with its exit code. */
  exited: Promise<number | null>;
  /** Current and peak resident set size, MB (VmRSS, VmHWM). */
  memory(): { rssMb: number; peakMb: number };
  /** Wall-clock times (ms) at which the INBOX connection of an account entered IDLE. */
  inboxIdles(accountId: string): number[];
  /** Wall-clock times (ms) at which the INBOX connection of an account received EXISTS for INBOX. */
  inboxExists(accountId: string): number[];
  stop(): Promise<void>;
}

const PROBE = fileURLToPath(new URL('./imap-probe.mjs', import.meta.url));

export async function startBenchHost(options: { dataDir: string; port?: number; env?: NodeJS.ProcessEnv; nodeArgs?: string[] }): Promise<BenchHost> {
  const hostJs = path.resolve('out/host/host.js');
  const child = spawn(
    process.execPath,
    ['--import', PROBE, ...(options.nodeArgs ?? []), hostJs, '--no-open', '--port', String(options.port ?? 0), '--data-dir', options.dataDir],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.stderr.on('data', (d: Buffer) => {
    log += d.toString();
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`host did not start in 20 s:\n${log}`)), 20_000);
    createInterface({ input: child.stdout }).once('line', (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`host exited with ${code}:\n${log}`));
    });
  });
  const pid = child.pid!;
  /** The probe's stamps of one kind (imap-probe.mjs) on an account's INBOX connection, for INBOX. */
  const inboxStamps = (kind: 'idle' | 'exists', accountId: string): number[] => {
    const out: number[] = [];
    for (const m of log.matchAll(new RegExp(`^\\[bench-probe\\] ${kind} (\\d+) (\\S+) INBOX$`, 'gm'))) if (m[2] === `${accountId}:inbox`) out.push(Number(m[1]));
    return out;
  };
  return {
    url,
    pid,
    dataDir: options.dataDir,
    log: () => log,
    exited,
    memory: () => {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
    },
    inboxIdles: (accountId) => inboxStamps('idle', accountId),
    inboxExists: (accountId) => inboxStamps('exists', accountId),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
