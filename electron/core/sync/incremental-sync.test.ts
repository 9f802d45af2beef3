import type { FetchMessageObject, ImapFlow } from 'imapflow';
import { describe, expect, it } from 'vitest';
import type { SyncDelta } from '../../../shared/contract';
import { createLogger } from '../log';
import { selectedIncrementalSync } from './incremental-sync';
import { AccountSyncState } from './sync-context';

const cursor = { accountId: 'acct', path: 'INBOX', uidValidity: '7', highestModseq: '100', uidNext: 50 };

/** A connection holding INBOX selected (QRESYNC), answering CHANGEDSINCE with `changed` and UID SEARCH with `fresh`. */
function selectedClient(changed: Partial<FetchMessageObject>[], fresh: number[]) {
  const commands: string[] = [];
  const client = {
    mailbox: { path: 'INBOX', uidValidity: 7n, highestModseq: 100n, exists: 40, noModseq: false },
    enabled: new Set(['CONDSTORE', 'QRESYNC']),
    capabilities: new Map(),
    on: () => undefined,
    off: () => undefined,
    async *fetch(range: string, _query: unknown, options: { changedSince?: bigint }) {
      commands.push(`FETCH ${range} CHANGEDSINCE ${options.changedSince}`);
      for (const m of changed) yield m;
    },
    async search() {
      commands.push('SEARCH');
      return fresh;
    },
    async mailboxOpen() {
      commands.push('SELECT');
    },
  };
  return { client: client as unknown as ImapFlow, commands };
}

function deps() {
  const state = new AccountSyncState('acct');
  state.resume([cursor]);
  const emitted: SyncDelta[] = [];
  return { state, emitted, deps: { state, emit: (d: SyncDelta) => emitted.push(d), batchSizes: [50], checkpoint: async () => false, log: createLogger('test', () => undefined) } };
}

describe('selectedIncrementalSync', () => {
  it('sends nothing at all when nothing changed, and selects nothing', async () => {
    const { client, commands } = selectedClient([], []);
    const d = deps();
    expect(await selectedIncrementalSync(client, 'INBOX', d.deps, d.state.generation)).toBe('unchanged');
    expect(d.emitted).toEqual([]);
    expect(commands).toEqual(['FETCH 1:* CHANGEDSINCE 100', 'SEARCH']);
  });

  it('sends flag changes and a cursor that never runs ahead of what it saw', async () => {
    const { client, commands } = selectedClient([{ uid: 3, flags: new Set(['\\Seen']), modseq: 104n }], []);
    const d = deps();
    expect(await selectedIncrementalSync(client, 'INBOX', d.deps, d.state.generation)).toBe('incremental');
    expect(d.emitted).toEqual([
      { kind: 'flags', accountId: 'acct', path: 'INBOX', uidValidity: '7', changes: [{ uid: 3, flags: ['\\Seen'], modseq: '104' }] },
      { kind: 'cursor', cursor: { ...cursor, highestModseq: '104' } },
    ]);
    expect(commands).not.toContain('SELECT');
  });

  it('leaves the folder to a full sync when it is not the one selected', async () => {
    const { client } = selectedClient([], []);
    const d = deps();
    expect(await selectedIncrementalSync(client, 'Archive', d.deps, d.state.generation)).toBeNull();
    expect(d.emitted).toEqual([]);
  });
});
