// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageBody, MessageHeader } from '../../../../shared/contract';
import { applyBatch, putBody, type MessageKey, type PetrelDb } from '../../db';
import { DbProvider } from '../../db/db-context';
import { A, foldersDelta, header, newDb, upsert } from '../../db/test-fixtures';
import type { EngineConnection } from '../../ipc/connect';
import { EngineProvider } from '../../ipc/engine-context';
import { Reader } from './Reader';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const T0 = Date.UTC(2026, 10, 20, 9, 0);

function mail(path: string, uid: number, o: { id: string; refs?: string[]; hours: number; from: string; subject: string }): MessageHeader {
  return {
    ...header(A, path, uid, { date: T0 + o.hours * 3600_000, subject: o.subject }),
    messageId: `<${o.id}@x>`,
    references: (o.refs ?? []).map((r) => `<${r}@x>`),
    inReplyTo: o.refs?.length ? `<${o.refs[o.refs.length - 1]}@x>` : null,
    from: [{ name: o.from, address: `${o.from.toLowerCase()}@example.test` }],
    preview: `Preview of ${o.id}`,
  };
}

function bodyOf(path: string, uid: number, text: string): MessageBody {
  return { accountId: A, path, uidValidity: '1', uid, html: null, text, attachments: [] };
}

let db: PetrelDb;
let root: Root | undefined;
let host: HTMLElement;

beforeEach(async () => {
  db = newDb();
  await applyBatch(db, { seq: 1, deltas: [foldersDelta(A, ['INBOX', 'Sent'])] });
  host = document.createElement('div');
  document.body.append(host);
});

afterEach(async () => {
  await act(async () => root?.unmount());
  root = undefined;
  host.remove();
  await db.delete();
});

async function render(engine: EngineConnection, key: MessageKey) {
  await act(async () => {
    root = createRoot(host);
    root.render(
      <EngineProvider value={engine}>
        <DbProvider value={db}>
          <Reader messageKey={key} />
        </DbProvider>
      </EngineProvider>,
    );
  });
}

async function waitFor<T>(probe: () => T | null | undefined | false, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = probe();
    if (v) return v;
    await act(async () => {
      await new Promise((r) => setTimeout(r, 10));
    });
  }
  throw new Error(`timed out waiting for ${what}; DOM: ${host.innerHTML.slice(0, 2000)}`);
}

const articles = () => [...host.querySelectorAll('[role="feed"][aria-label="Conversation"] > article')] as HTMLElement[];

describe('the conversation in the reader', () => {
  it('shows the thread across folders oldest first, the open message expanded, the others on demand', async () => {
    await applyBatch(db, {
      seq: 2,
      deltas: [
        upsert(A, 'INBOX', [
          mail('INBOX', 1, { id: 'root', hours: 1, from: 'Ann', subject: 'Trip' }),
          mail('INBOX', 3, { id: 'r2', refs: ['root', 'r1'], hours: 3, from: 'Ann', subject: 'Re: Trip' }),
        ]),
        upsert(A, 'Sent', [mail('Sent', 9, { id: 'r1', refs: ['root'], hours: 2, from: 'Me', subject: 'Re: Trip' })]),
      ],
    });
    await putBody(db, bodyOf('INBOX', 3, 'Latest words'));
    const call = vi.fn(async (_method: string, params: unknown) => {
      const p = params as { path: string; uid: number };
      return bodyOf(p.path, p.uid, `Body of ${p.path} ${p.uid}`);
    });
    await render({ call } as unknown as EngineConnection, [A, 'INBOX', 3]);

    await waitFor(() => articles().length === 3, 'three articles');
    const names = articles().map((a) => a.getAttribute('aria-label'));
    expect(names[0]).toMatch(/^Ann, .*2026/);
    expect(names[1]).toMatch(/^Me, /);
    expect(names[2]).toMatch(/^Ann, /);
    // Only the open (newest) one is expanded, with its cached body; nothing fetched.
    await waitFor(() => articles()[2]!.querySelector('.reader-text')?.textContent?.includes('Latest words'), 'the open body');
    expect(articles().map((a) => a.querySelector('button[aria-expanded]')?.getAttribute('aria-expanded'))).toEqual(['false', 'false', 'true']);
    expect(call).not.toHaveBeenCalled();
    // The reply from Sent says where it is; the others are in the open folder.
    expect(articles()[1]!.querySelector('.conversation-folder')?.textContent).toBe('Sent');
    expect(articles()[0]!.querySelector('.conversation-folder')).toBeNull();
    expect(articles()[1]!.textContent).toContain('Preview of r1');

    // Expanding the Sent reply loads its body through the engine.
    await act(async () => articles()[1]!.querySelector('button')!.click());
    await waitFor(() => articles()[1]!.querySelector('.reader-text')?.textContent?.includes('Body of Sent 9'), 'the Sent body');
    expect(call).toHaveBeenCalledWith('messages.body', { accountId: A, path: 'Sent', uidValidity: '1', uid: 9 }, expect.anything());
    expect(host.querySelector('h1')?.textContent).toBe('Re: Trip');
    // And collapses again.
    await act(async () => articles()[1]!.querySelector('button')!.click());
    expect(articles()[1]!.querySelector('.reader-text')).toBeNull();
  });

  it('a message alone is shown as before, without a feed', async () => {
    await applyBatch(db, { seq: 2, deltas: [upsert(A, 'INBOX', [mail('INBOX', 1, { id: 'solo', hours: 1, from: 'Ann', subject: 'Solo' })])] });
    await putBody(db, bodyOf('INBOX', 1, 'Just me'));
    await render({ call: vi.fn() } as unknown as EngineConnection, [A, 'INBOX', 1]);
    await waitFor(() => host.querySelector('.reader-text'), 'the body');
    expect(host.querySelector('[role="feed"]')).toBeNull();
    expect(host.querySelector('h1')?.textContent).toBe('Solo');
  });
});
