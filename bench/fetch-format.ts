/**
 * What reading the header FETCH responses costs the host, imapflow's formatMessageResponse
 * against the engine's own reader (electron/core/sync/fetch-format.ts), on the same responses:
 * `npx tsx bench/fetch-format.ts [--size N] [--rounds N]`.
 *
 * Delivers N messages of the benchmark's corpus into a test Dovecot, fetches the engine's items
 * once (the PREVIEW path) and keeps the parsed responses, then reads them all with each reader
 * in turn, `rounds` times, alternating so that the machine's noise falls on both alike. Prints
 * the CPU time per 10k messages of each (median over the rounds) and of the whole header
 * mapping after each (toMessageHeader), which is what the engine runs per message.
 */
import os from 'node:os';
import type { ImapResponse } from 'imapflow';
import { formatMessageResponse } from 'imapflow/lib/tools';
import { formatHeaderResponse } from '../electron/core/sync/fetch-format';
import { HEADER_FIELDS } from '../electron/core/sync/fetch-headers';
import { toMessageHeader } from '../electron/core/sync/header-map';
import { say } from './setup';
import { cpuMs, median, option, withCorpusInbox } from './micro';

async function main(): Promise<void> {
  const size = option('--size', 10_000);
  const rounds = option('--rounds', 7);
  await withCorpusInbox(size, async (client, mailbox) => {
    const atom = (value: string) => ({ type: 'ATOM', value });
    const items: unknown[] = ['UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'RFC822.SIZE', 'BODYSTRUCTURE', 'MODSEQ', 'PREVIEW'].map(atom);
    items.push({ type: 'ATOM', value: 'BODY.PEEK', section: [atom('HEADER.FIELDS'), HEADER_FIELDS.map((h) => atom(h.toUpperCase()))] });
    const responses: ImapResponse[] = [];
    type Exec = (c: string, a: unknown[], o: { untagged: Record<string, (u: ImapResponse) => Promise<void>> }) => Promise<{ next(): void }>;
    const exec = (client as unknown as { exec: Exec }).exec.bind(client);
    (await exec('UID FETCH', [{ type: 'SEQUENCE', value: '1:*' }, items], { untagged: { FETCH: async (u) => void responses.push(u) } })).next();
    await client.logout();
    say(`${responses.length} responses recorded (${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version})`);

    const ctx = { accountId: 'a', path: 'INBOX', uidValidity: mailbox.uidValidity.toString() };
    const readers = {
      imapflow: async (u: ImapResponse) => formatMessageResponse(u, mailbox, undefined, client),
      engine: async (u: ImapResponse) => formatHeaderResponse(u, mailbox) ?? formatMessageResponse(u, mailbox, undefined, client),
    };
    const times: Record<string, { read: number[]; mapped: number[] }> = { imapflow: { read: [], mapped: [] }, engine: { read: [], mapped: [] } };
    for (let r = 0; r < rounds; r++) {
      for (const [name, read] of r % 2 ? Object.entries(readers).reverse() : Object.entries(readers)) {
        for (const map of [false, true]) {
          const start = cpuMs();
          for (const u of responses) {
            const msg = await read(u);
            if (map) toMessageHeader(msg, ctx, null);
          }
          const per10k = ((cpuMs() - start) * 10_000) / responses.length;
          times[name]![map ? 'mapped' : 'read'].push(per10k);
        }
      }
    }
    say('| Reader | Read, CPU ms per 10k | Read + toMessageHeader, CPU ms per 10k |');
    say('|---|---:|---:|');
    for (const [name, t] of Object.entries(times)) say(`| ${name} | ${median(t.read).toFixed(0)} | ${median(t.mapped).toFixed(0)} |`);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
