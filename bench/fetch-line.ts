/**
 * What parsing the FETCH lines of a sync costs the host, imapflow's parser against the engine's
 * reader (electron/core/imap/fetch-line.ts), on the same lines:
 * `npx tsx bench/fetch-line.ts [--size N] [--rounds N]`.
 *
 * Delivers N messages of the benchmark's corpus into a test Dovecot, records the raw lines (and
 * their literals) of two answers as imapflow's stream hands them over: the header sync's UID
 * FETCH of every message (the PREVIEW path) and a `BODY.PEEK[]` fetch of the first 1,000, as
 * the offline download asks. Then parses them all with each parser in turn, `rounds` times,
 * alternating so that the machine's noise falls on both alike, and prints the CPU time per 10k
 * lines of each (median over the rounds).
 */
import os from 'node:os';
import { parser } from 'imapflow/lib/handler/imap-handler';
import { parseFetchLine } from '../electron/core/imap/fetch-line';
import { HEADER_FIELDS } from '../electron/core/sync/fetch-headers';
import { say } from './setup';
import { cpuMs, median, option, withCorpusInbox } from './micro';

interface Line {
  payload: Buffer;
  literals: Buffer[];
}

type Exec = (c: string, a: unknown[], o: { untagged: Record<string, () => Promise<void>> }) => Promise<{ next(): void }>;

async function main(): Promise<void> {
  const size = option('--size', 10_000);
  const rounds = option('--rounds', 7);
  await withCorpusInbox(size, async (client) => {

    // The lines as the stream hands them to imapflow (copied: the stream may reuse its buffers).
    let recording: Line[] = [];
    const internals = client as unknown as { handleResponse(data: Line): Promise<boolean>; exec: Exec };
    const handle = internals.handleResponse.bind(client);
    internals.handleResponse = (data) => {
      if (data.payload.includes(' FETCH (')) recording.push({ payload: Buffer.from(data.payload), literals: data.literals.map((l) => Buffer.from(l)) });
      return handle(data);
    };
    const exec = internals.exec.bind(client);
    const atom = (value: string) => ({ type: 'ATOM', value });
    const headerItems: unknown[] = ['UID', 'FLAGS', 'ENVELOPE', 'INTERNALDATE', 'RFC822.SIZE', 'BODYSTRUCTURE', 'MODSEQ', 'PREVIEW'].map(atom);
    headerItems.push({ type: 'ATOM', value: 'BODY.PEEK', section: [atom('HEADER.FIELDS'), HEADER_FIELDS.map((h) => atom(h.toUpperCase()))] });
    const record = async (set: string, items: unknown[]): Promise<Line[]> => {
      recording = [];
      (await exec('UID FETCH', [{ type: 'SEQUENCE', value: set }, items], { untagged: { FETCH: async () => undefined } })).next();
      return recording;
    };
    const answers = {
      headers: await record('1:*', headerItems),
      'BODY[] (1,000)': await record(`1:${Math.min(size, 1000)}`, ['UID', 'RFC822.SIZE', { type: 'ATOM', value: 'BODY.PEEK', section: [] }].map((x) => (typeof x === 'string' ? atom(x) : x))),
    };
    await client.logout();
    say(`${answers.headers.length} header lines and ${answers['BODY[] (1,000)'].length} body lines recorded (${os.cpus()[0]?.model ?? 'cpu'}, node ${process.version})`);

    const parsers = {
      imapflow: async (l: Line) => parser(l.payload, { literals: l.literals }),
      engine: async (l: Line) => parseFetchLine(l.payload, l.literals) ?? parser(l.payload, { literals: l.literals }),
    };
    say('| Answer | Parser | CPU ms per 10k lines | Lines the engine declined |');
    say('|---|---|---:|---:|');
    for (const [answer, lines] of Object.entries(answers)) {
      const declined = lines.filter((l) => parseFetchLine(l.payload, l.literals) === null).length;
      const times: Record<string, number[]> = { imapflow: [], engine: [] };
      for (let r = 0; r < rounds; r++) {
        for (const [name, parse] of r % 2 ? Object.entries(parsers).reverse() : Object.entries(parsers)) {
          const start = cpuMs();
          for (const l of lines) await parse(l);
          times[name]!.push(((cpuMs() - start) * 10_000) / lines.length);
        }
      }
      for (const [name, t] of Object.entries(times)) say(`| ${answer} | ${name} | ${median(t).toFixed(0)} | ${name === 'engine' ? declined : ''} |`);
    }
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
