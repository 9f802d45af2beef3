// @vitest-environment jsdom
/**
 * The search UI with the real pieces behind it: useSearch → SearchClient → an in-process
 * worker core (over a MessageChannel) reading a fake IndexedDB; the engine is faked (only
 * `search.server` is called).
 */
import 'fake-indexeddb/auto';
import { act, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { applyBatch, type MessageKey, type PetrelDb } from '../../db';
import { DbProvider } from '../../db/db-context';
import { PetrelDb as Db } from '../../db/schema';
import { A, B, header, newDb, upsert } from '../../db/test-fixtures';
import type { EngineConnection } from '../../ipc/connect';
import { EngineProvider } from '../../ipc/engine-context';
import { SearchBox } from './SearchBox';
import { SearchResults } from './SearchResults';
import { SearchClient, type SearchPort } from './search-client';
import type { ServerSearchEngine } from './server-search';
import { useSearch } from './use-search';
import { attachSearchWorker, type MessagePortLike, type SearchWorkerCore } from './worker-core';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let db: PetrelDb;
let root: Root | undefined;
let host: HTMLElement;
let client: SearchClient;
let core: () => SearchWorkerCore | null;
let channel: MessageChannel;

beforeEach(async () => {
  db = newDb();
  await applyBatch(db, [
    {
      kind: 'folders',
      accountId: A,
      folders: [
        { accountId: A, path: 'INBOX', name: 'INBOX', delimiter: '/', parentPath: null, specialUse: 'inbox', subscribed: true, selectable: true, total: 2, unread: 1 },
        // The server has 50 messages here; the cache has one: the first sync is not done.
        { accountId: A, path: 'Archive', name: 'Archive', delimiter: '/', parentPath: null, specialUse: 'archive', subscribed: true, selectable: true, total: 50, unread: 0 },
      ],
    },
    upsert(A, 'INBOX', [
      { ...header(A, 'INBOX', 1, { subject: 'Budget review' }), preview: 'numbers for Q3' },
      { ...header(A, 'INBOX', 2, { subject: 'Lunch', seen: true }), preview: 'ramen?' },
    ]),
    upsert(A, 'Archive', [header(A, 'Archive', 9, { subject: 'Old budget', seen: true })]),
    upsert(B, 'INBOX', [header(B, 'INBOX', 3, { subject: 'Budget for the trip' })]),
  ]);
  channel = new MessageChannel();
  ({ core } = attachSearchWorker(channel.port2 as unknown as MessagePortLike, (name) => new Db(name), { statusIntervalMs: 0 }));
  channel.port1.start();
  channel.port2.start();
  client = new SearchClient(channel.port1 as unknown as SearchPort, db.name);
  host = document.createElement('div');
  document.body.append(host);
});

afterEach(async () => {
  await act(async () => root?.unmount());
  root = undefined;
  host.remove();
  client.close();
  core()?.close();
  core()?.db.close();
  channel.port1.close();
  channel.port2.close();
  await db.delete();
});

function Harness(props: { engine: ServerSearchEngine; onOpen: (key: MessageKey) => void }) {
  const search = useSearch({ client, engine: props.engine, serverDebounceMs: 20, refreshMs: 10 });
  const [selected, setSelected] = useState<MessageKey | null>(null);
  return (
    <>
      <input aria-label="Other field" />
      <SearchBox value={search.query} onChange={search.setQuery} onClear={search.clear} />
      {search.active && (
        <SearchResults
          search={search}
          selectedKey={selected}
          accountLabel={(id) => (id === A ? 'Work' : 'Home')}
          onOpen={(key) => {
            setSelected(key);
            props.onOpen(key);
          }}
        />
      )}
    </>
  );
}

async function render(engine: ServerSearchEngine, onOpen: (key: MessageKey) => void = () => undefined) {
  await act(async () => {
    root = createRoot(host);
    root.render(
      <EngineProvider value={{} as EngineConnection}>
        <DbProvider value={db}>
          <Harness engine={engine} onOpen={onOpen} />
        </DbProvider>
      </EngineProvider>,
    );
  });
}

async function waitFor<T>(probe: () => T | null | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = probe();
    if (v) return v;
    await act(async () => {
      await new Promise((r) => setTimeout(r, 10));
    });
  }
  throw new Error(`timed out waiting for ${what}; DOM: ${host.innerHTML.slice(0, 3000)}`);
}

const box = () => host.querySelector<HTMLInputElement>('input[type="search"]')!;
const options = () => [...host.querySelectorAll('[role="listbox"][aria-label="Search results"] [role="option"]')];
const labels = () => options().map((o) => o.getAttribute('aria-label') ?? '');

async function type(text: string) {
  await act(async () => {
    const input = box();
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    setter.call(input, text);
    input.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

function key(target: EventTarget, k: string) {
  const e = new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true });
  target.dispatchEvent(e);
  return e;
}

describe('search UI', () => {
  it('focuses the box with /, except while typing elsewhere', async () => {
    await render({ call: vi.fn() });
    const other = host.querySelector<HTMLInputElement>('input[aria-label="Other field"]')!;
    other.focus();
    expect(key(other, '/').defaultPrevented).toBe(false);
    expect(document.activeElement).toBe(other);
    other.blur();
    await act(async () => {
      expect(key(document.body, '/').defaultPrevented).toBe(true);
    });
    expect(document.activeElement).toBe(box());
    expect(host.querySelector('form[role="search"]')).not.toBeNull();
  });

  it('shows results as you type across accounts, opens them, merges the server and clears with Escape', async () => {
    const call = vi.fn(async (_m: string, params: { accountId: string; path: string; query: { text?: string[] } }) => {
      expect(params).toMatchObject({ accountId: A, path: 'Archive' });
      // The server finds "budg…" in 9 (cached) and 30, 31 (not cached yet), and nothing else.
      if (!params.query.text?.some((t) => t.startsWith('budg'))) return { uidValidity: '1', uids: [], total: 0 };
      return { uidValidity: '1', uids: [31, 30, 9], total: 3 };
    });
    const opened: MessageKey[] = [];
    await render({ call } as unknown as ServerSearchEngine, (k) => opened.push(k));
    await waitFor(() => client.status.phase === 'ready', 'the index');

    await type('budg');
    await waitFor(() => options().length === 3, 'three results');
    // Newest first, with where each one is (two accounts: their names too).
    expect(labels()[0]).toMatch(/^Ada, Old budget, .*, in Archive — Work$/);
    expect(labels()[1]).toMatch(/^Unread, Ada, Budget for the trip, .*, in Inbox — Home$/);
    expect(labels()[2]).toMatch(/^Unread, Ada, Budget review, .*, in Inbox — Work$/);
    expect(host.querySelector('[data-testid="search-count"]')?.textContent).toBe('3 results');

    // Only the folder still syncing went to the server; its uncached hits are counted.
    await waitFor(() => host.querySelector('[data-testid="search-server"]')?.textContent?.includes('2 more on the server'), 'server hits');
    expect(call).toHaveBeenCalled();
    expect(call.mock.calls[0]![1]).toMatchObject({ query: { text: ['budg'] } });

    await act(async () => (options()[1] as HTMLElement).click());
    expect(opened).toEqual([[B, 'INBOX', 3]]);
    await act(async () => {
      key(host.querySelector('[role="listbox"]')!, 'j');
    });
    expect(opened.at(-1)).toEqual([A, 'INBOX', 1]);

    await type('budget is:unread');
    await waitFor(() => options().length === 2, 'two unread');
    await type('zzz');
    await waitFor(() => host.textContent?.includes('No messages match.'), 'no results');

    await act(async () => {
      key(box(), 'Escape');
    });
    expect(box().value).toBe('');
    expect(host.querySelector('[aria-label="Search results"]')).toBeNull();
  });

  it('searches every folder on the server when asked, and says when that fails', async () => {
    const call = vi.fn(async () => {
      throw new Error('The IMAP server is unreachable.');
    });
    await render({ call } as unknown as ServerSearchEngine);
    await waitFor(() => client.status.phase === 'ready', 'the index');
    await type('ramen');
    await waitFor(() => options().length === 1, 'one result');
    const button = await waitFor(
      () => [...host.querySelectorAll('button')].find((b) => b.textContent === 'Search message bodies on the server'),
      'the button',
    );
    const before = call.mock.calls.length;
    await act(async () => button.click());
    // INBOX and Archive of A, INBOX of B.
    await waitFor(() => call.mock.calls.length >= before + 3, 'every folder asked');
    await waitFor(() => host.querySelector('[data-testid="search-server"]')?.textContent?.includes('unreachable'), 'the failure');
    expect(call.mock.calls.slice(before).map((c) => (c as unknown as [string, { path: string }])[1].path).sort()).toEqual(['Archive', 'INBOX', 'INBOX']);
    expect(options()).toHaveLength(1);
  });
});
