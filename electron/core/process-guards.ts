import type { Logger } from './log';

/** The part of `process` the guards listen on. */
export interface GuardedProcess {
  on(event: 'unhandledRejection', listener: (reason: unknown) => void): unknown;
  on(event: 'uncaughtException', listener: (error: Error) => void): unknown;
}

/**
 * What the process does with a promise rejected where nobody awaited it, and with an
 * exception nothing caught. Both shells (the Electron main process and the Node host) install
 * the same guards, so one engine behaves the same under either.
 *
 * - An unhandled rejection is logged with its stack and the process goes on. It is a bug in
 *   one piece of background work (one account's sync, one notification), and ending the
 *   process for it would drop every account's connections and the open window with it; that is
 *   Electron's own default (`--unhandled-rejections=warn`), where Node's ends the process.
 * - An uncaught exception may have left the engine half-way through a change, so it is logged
 *   and `fatal` ends the process. What matters survives that: the mail is in the renderer's
 *   IndexedDB and the outbox in its journal, which the next start resumes.
 */
export function installProcessGuards(proc: GuardedProcess, log: Logger, fatal: (error: Error) => void): void {
  proc.on('unhandledRejection', (reason) => {
    log.error('unhandled promise rejection (kept running)', reason instanceof Error ? reason : { reason: String(reason) });
  });
  proc.on('uncaughtException', (error) => {
    log.error('uncaught exception: stopping', error);
    fatal(error);
  });
}
