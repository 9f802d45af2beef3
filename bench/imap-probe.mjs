// @ts-check
/**
 * Loaded into the host only by the benchmark (`node --import bench/imap-probe.mjs`): it
 * observes, never changes. The engine says nothing when a resync finds a folder
 * unchanged (no delta), so this stamps each IDLE the engine enters, with the connection
 * id (`<account>:inbox`) and folder: the INBOX connection goes back to IDLE exactly when
 * its sync is done. It also stamps each EXISTS the engine receives (where a push's time goes).
 *
 * With BENCH_PROBE_TRACE=1 it also logs every IMAP command the engine runs, with its
 * duration, and the process's memory every 250 ms (for finding where time and memory go).
 */
import { appendFileSync } from 'node:fs';
import process from 'node:process';
import { setInterval } from 'node:timers';
import { ImapFlow } from 'imapflow';

/** BENCH_PROBE_LOG=<file>: every line also goes to that file (the bench keeps the host's stderr to itself). */
const logFile = process.env.BENCH_PROBE_LOG;
const write = (/** @type {string} */ line) => {
  process.stderr.write(line);
  if (logFile) appendFileSync(logFile, line);
};

const idle = ImapFlow.prototype.idle;
ImapFlow.prototype.idle = function (...args) {
  write(`[bench-probe] idle ${Date.now()} ${this.id} ${this.mailbox ? this.mailbox.path : '-'}\n`);
  return idle.apply(this, args);
};

// EXISTS as the engine's connection receives it (connection id and folder): splits a push
// into the server's part (delivery until EXISTS) and the app's (EXISTS until the row shows).
const emit = ImapFlow.prototype.emit;
ImapFlow.prototype.emit = function (/** @type {string | symbol} */ event, /** @type {unknown[]} */ ...args) {
  if (event === 'exists') {
    const info = /** @type {{ path?: string } | undefined} */ (args[0]);
    write(`[bench-probe] exists ${Date.now()} ${this.id} ${info?.path ?? '-'}\n`);
  }
  return emit.call(this, event, ...args);
};

if (process.env.BENCH_PROBE_TRACE === '1') {
  const proto = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (ImapFlow.prototype));
  const exec = /** @type {(...args: unknown[]) => Promise<unknown>} */ (proto.exec);
  proto.exec = function (/** @type {unknown[]} */ ...args) {
    const started = Date.now();
    const id = /** @type {{ id: string }} */ (this).id;
    const done = () => write(`[bench-probe] cmd ${started} ${Date.now() - started} ${id} ${String(args[0])}\n`);
    const result = exec.apply(this, args);
    result.then(done, done);
    return result;
  };
  const connect = /** @type {(...args: unknown[]) => Promise<unknown>} */ (proto.connect);
  proto.connect = function (/** @type {unknown[]} */ ...args) {
    const started = Date.now();
    const id = /** @type {{ id: string }} */ (this).id;
    const done = () => write(`[bench-probe] cmd ${started} ${Date.now() - started} ${id} connect(all)\n`);
    const result = connect.apply(this, args);
    result.then(done, done);
    return result;
  };
  setInterval(() => {
    const m = process.memoryUsage();
    const mb = (/** @type {number} */ n) => (n / 1048576).toFixed(0);
    process.stderr.write(`[bench-probe] mem ${Date.now()} rss=${mb(m.rss)} heap=${mb(m.heapUsed)} external=${mb(m.external)} buffers=${mb(m.arrayBuffers)}\n`);
  }, 250).unref();
}
