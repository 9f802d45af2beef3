/** Helpers of the standalone micro-benchmarks (fetch-format.ts, fetch-line.ts, idb-writes.ts, unified-window.ts). */
import type { ImapFlow, MailboxObject } from 'imapflow';
import { startMailServers } from '../e2e/mailserver/mailserver';
import { otherClient } from '../electron/core/sync/testing/mail-store';
import { deliverCorpus } from './corpus';

/** A positive whole-number option `--name N` of the command line, or `dflt`. */
export function option(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  const v = i === -1 ? dflt : Number(process.argv[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} needs a positive whole number`);
  return v;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** This process's CPU time so far (user and system), in ms. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/**
 * Test mail servers with `size` messages of the corpus in alice's INBOX, and a QRESYNC client
 * with it open read-only, for `run`; the servers stop after it.
 */
export async function withCorpusInbox(size: number, run: (client: ImapFlow, mailbox: MailboxObject) => Promise<void>): Promise<void> {
  const servers = await startMailServers();
  try {
    const user = servers.user('alice');
    await servers.resetUser('alice');
    await deliverCorpus(servers, user.login, 'INBOX', { seed: 7, count: size, to: { name: 'Alice', address: user.address } });
    const client = await otherClient(servers, 'alice', { qresync: true });
    await run(client, await client.mailboxOpen('INBOX', { readOnly: true }));
  } finally {
    await servers.stop();
  }
}
