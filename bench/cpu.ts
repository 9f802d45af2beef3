/**
 * CPU time and memory by process, from /proc: which of the host, Dovecot, the renderer,
 * the rest of Chromium, the benchmark itself and everything else (the machine is shared)
 * used the two cores while something was measured. Only this benchmark's processes are
 * named: Chromium when it descends from this process, Dovecot when it is our instance.
 */
import fs from 'node:fs';

const TICK_MS = 1000 / 100; // USER_HZ is 100 on Linux

interface Proc {
  ppid: number;
  comm: string;
  cmdline: string;
  ticks: number;
  rssKb: number;
  /** An app renderer's worker threads (the search worker, the contacts): ticks by thread id. */
  workers?: Map<number, number>;
}

/** A /proc stat line: the name, and the fields after it (state [0], ppid [1], ..., utime [11], stime [12], ..., rss in pages [21]). */
function parseStat(stat: string): { comm: string; f: string[] } {
  const close = stat.lastIndexOf(')');
  return { comm: stat.slice(stat.indexOf('(') + 1, close), f: stat.slice(close + 2).split(' ') };
}

/** Chromium names a dedicated worker's thread "DedicatedWorker thread" (comm keeps 15 characters). */
function workerTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const { comm, f } = parseStat(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8'));
      if (!comm.startsWith('DedicatedWorker')) continue;
      out.set(Number(tid), Number(f[11]) + Number(f[12]));
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out;
}

function snapshot(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const { comm, f } = parseStat(fs.readFileSync(`/proc/${entry}/stat`, 'utf8'));
      const p: Proc = {
        ppid: Number(f[1]),
        comm,
        cmdline: fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '),
        ticks: Number(f[11]) + Number(f[12]),
        rssKb: Number(f[21]) * 4,
      };
      if (isAppRenderer(p) && p.cmdline.includes('chromium')) p.workers = workerTicks(Number(entry));
      out.set(Number(entry), p);
    } catch {
      // The process ended meanwhile.
    }
  }
  return out;
}

function descendsFromUs(pid: number, procs: Map<number, Proc>): boolean {
  for (let p = procs.get(pid)?.ppid, hops = 0; p !== undefined && p > 1 && hops < 20; p = procs.get(p)?.ppid, hops++) {
    if (p === process.pid) return true;
  }
  return false;
}

export interface Ours {
  hostPid: number | null;
  /** The basename of our mail servers' state folder (Dovecot's process titles carry it). */
  dovecotTag: string;
}

const APP_RENDERER = 'Chromium renderer (app)';
const APP_WORKERS = 'Chromium renderer (app): its workers (search, contacts)';

function category(pid: number, p: Proc, procs: Map<number, Proc>, ours: Ours): string {
  if (pid === ours.hostPid) return 'host (engine)';
  if (pid === process.pid) return 'benchmark + Playwright';
  if (p.cmdline.includes(`petrel-${ours.dovecotTag}/`) || p.cmdline.includes(`${ours.dovecotTag}/`)) {
    return p.comm === 'imap' || p.cmdline.includes('/imap ') || p.cmdline.trimEnd().endsWith('/imap') ? 'Dovecot imap' : 'Dovecot other';
  }
  if (p.cmdline.includes('chromium') && descendsFromUs(pid, procs)) {
    if (isAppRenderer(p)) return APP_RENDERER;
    if (p.cmdline.includes('--type=')) return 'Chromium other (GPU, network, renderers)';
    return 'Chromium browser process (IndexedDB backend, IPC, DevTools)';
  }
  return 'other processes (not the benchmark)';
}

function isAppRenderer(p: Proc): boolean {
  return p.cmdline.includes('--type=renderer') && !p.cmdline.includes('--top-chrome-webui') && !p.cmdline.includes('--extension-process');
}

/** Starts counting; `stop()` returns CPU ms by category (processes that ended meanwhile are missed). */
export function cpuMeter(ours: () => Ours): { stop(): Record<string, number> } {
  const before = snapshot();
  return {
    stop: () => {
      const after = snapshot();
      const o = ours();
      const totals: Record<string, number> = {};
      for (const [pid, p] of after) {
        const used = p.ticks - (before.get(pid)?.ticks ?? 0);
        if (used <= 0) continue;
        const c = category(pid, p, after, o);
        // The app renderer's workers apart from its main thread (what the page does itself).
        let inWorkers = 0;
        if (c === APP_RENDERER && p.workers) {
          const was = before.get(pid)?.workers;
          for (const [tid, ticks] of p.workers) inWorkers += Math.max(0, ticks - (was?.get(tid) ?? 0));
          if (inWorkers > 0) totals[APP_WORKERS] = (totals[APP_WORKERS] ?? 0) + inWorkers * TICK_MS;
        }
        totals[c] = (totals[c] ?? 0) + (used - inWorkers) * TICK_MS;
      }
      return totals;
    },
  };
}

/** RSS of our app renderer processes (the largest, when several), MB. */
export function rendererRssMb(): number | null {
  const procs = snapshot();
  let best: number | null = null;
  for (const [pid, p] of procs) {
    if (isAppRenderer(p) && p.cmdline.includes('chromium') && descendsFromUs(pid, procs)) best = Math.max(best ?? 0, p.rssKb / 1024);
  }
  return best;
}

export function formatCpu(totals: Record<string, number>, wallMs: number): string {
  return Object.entries(totals)
    .sort((a, b) => b[1] - a[1])
    .filter(([, ms]) => ms >= 50)
    .map(([k, ms]) => `${k} ${(ms / 1000).toFixed(1)} s (${Math.round((100 * ms) / wallMs)}% of one core)`)
    .join('; ');
}
