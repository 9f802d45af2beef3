// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MessageBody } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import { applyBatch, messageBody, putBody, type MessageKey, type PetrelDb } from '../../db';
import { DbProvider } from '../../db/db-context';
import { A, header, newDb, upsert } from '../../db/test-fixtures';
import type { EngineConnection } from '../../ipc/connect';
import { EngineProvider } from '../../ipc/engine-context';
import { Reader } from './Reader';
import { ALLOWLIST_KEY } from './remote-allowlist';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const KEY: MessageKey = [A, 'INBOX', 7];

function bodyOf(o: Partial<MessageBody> = {}): MessageBody {
  return { accountId: A, path: 'INBOX', uidValidity: '1', uid: 7, html: null, text: null, attachments: [], ...o };
}

let db: PetrelDb;
let root: Root | undefined;
let host: HTMLElement;

beforeEach(async () => {
  db = newDb();
  await applyBatch(db, { seq: 1, deltas: [upsert(A, 'INBOX', [header(A, 'INBOX', 7, { subject: 'Hello there' })])] });
  host = document.createElement('div');
  document.body.append(host);
  localStorage.clear();
});

afterEach(async () => {
  await act(async () => root?.unmount());
  root = undefined;
  host.remove();
  await db.delete();
});

function fakeEngine(call: (method: string, params: unknown) => Promise<unknown>) {
  const spy = vi.fn(call);
  return { engine: { call: spy } as unknown as EngineConnection, call: spy };
}

async function render(engine: EngineConnection, key: MessageKey = KEY) {
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

const frame = () => host.querySelector('iframe');
const button = (name: string) =>
  [...host.querySelectorAll('button')].find((b) => b.textContent?.includes(name) || b.getAttribute('aria-label') === name);

describe('Reader', () => {
  it('shows a cached HTML body in a sandboxed, CSP-locked frame without asking the engine', async () => {
    await putBody(db, bodyOf({ html: '<p>Hi<script>alert(1)</script><img src="https://img.example/a.png" alt="pic"></p>' }));
    const { engine, call } = fakeEngine(() => Promise.reject(new Error('should not be called')));
    await render(engine);
    const f = await waitFor(frame, 'the frame');
    expect(host.querySelector('h1')?.textContent).toBe('Hello there');
    expect(f.getAttribute('title')).toBe('Message content');
    expect(f.getAttribute('sandbox')).toBe('allow-popups allow-popups-to-escape-sandbox');
    const doc = f.getAttribute('srcdoc') ?? '';
    expect(doc).toMatch(/^<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
    expect(doc).not.toContain('script-src');
    expect(doc).not.toContain('<script');
    expect(doc).not.toContain('img.example');
    expect(doc).toContain("img-src data: blob:;");
    expect(call).not.toHaveBeenCalled();
    expect(host.textContent).toContain('Petrel blocked 1 remote image to protect your privacy.');
  });

  it('loads remote images for this message only, through the engine, never the network', async () => {
    await putBody(db, bodyOf({ html: '<img src="https://img.example/a.png" alt="pic">' }));
    const { engine, call } = fakeEngine(async (method) =>
      method === 'remote.images'
        ? { images: [{ url: 'https://img.example/a.png', dataUrl: 'data:image/png;base64,AAAA' }] }
        : Promise.reject(new Error('no')),
    );
    await render(engine);
    await waitFor(() => button('Load remote images'), 'the bar');
    expect(call).not.toHaveBeenCalledWith('remote.images', expect.anything(), expect.anything());
    await act(async () => button('Load remote images')?.click());
    await waitFor(() => (frame()?.getAttribute('srcdoc') ?? '').includes('data:image/png;base64,AAAA'), 'the image');
    const doc = frame()?.getAttribute('srcdoc') ?? '';
    expect(call).toHaveBeenCalledWith('remote.images', { urls: ['https://img.example/a.png'] }, expect.anything());
    expect(doc).not.toContain('https://img.example');
    expect(doc).toContain("img-src data: blob:;");
    expect(button('Load remote images')).toBeUndefined();
    expect(localStorage.getItem(ALLOWLIST_KEY)).toBeNull();
  });

  it('remembers "Always for <sender>"', async () => {
    await putBody(db, bodyOf({ html: '<img src="https://img.example/a.png" alt="pic">' }));
    const { engine } = fakeEngine(async (method) =>
      method === 'remote.images'
        ? { images: [{ url: 'https://img.example/a.png', dataUrl: 'data:image/png;base64,BBBB' }] }
        : Promise.reject(new Error('no')),
    );
    await render(engine);
    const always = await waitFor(() => button('Always for ada@example.test'), 'the always button');
    await act(async () => always.click());
    expect(JSON.parse(localStorage.getItem(ALLOWLIST_KEY) ?? '[]')).toEqual(['ada@example.test']);
    await waitFor(() => (frame()?.getAttribute('srcdoc') ?? '').includes('data:image/png;base64,BBBB'), 'the image');
  });

  it('fetches a body it does not have, shows it and caches it', async () => {
    const { engine, call } = fakeEngine(async () => bodyOf({ text: 'Hello https://example.com\n> quoted\n> more' }));
    await render(engine);
    await waitFor(() => host.querySelector('.reader-text'), 'the text body');
    expect(call).toHaveBeenCalledWith(
      'messages.body',
      { accountId: A, path: 'INBOX', uidValidity: '1', uid: 7 },
      expect.objectContaining({ signal: expect.any(AbortSignal) }),
    );
    const link = host.querySelector('a');
    expect(link?.getAttribute('href')).toBe('https://example.com/');
    expect(link?.getAttribute('rel')).toBe('noopener noreferrer');
    const toggle = button('Show quoted text');
    expect(toggle?.getAttribute('aria-expanded')).toBe('false');
    expect(host.textContent).not.toContain('> quoted');
    await act(async () => toggle?.click());
    expect(host.textContent).toContain('> quoted');
    expect(frame()).toBeNull();
    expect((await messageBody(db, KEY))?.text).toContain('Hello');
  });

  it('shows the engine error and tries again', async () => {
    let fail = true;
    const { engine, call } = fakeEngine(async () => {
      if (fail) throw new PetrelError('SERVER_UNREACHABLE', 'The mail server did not answer.');
      return bodyOf({ html: '<p>Finally</p>' });
    });
    await render(engine);
    const alert = await waitFor(() => host.querySelector('[role="alert"]'), 'the error');
    expect(alert.textContent).toContain('The mail server did not answer.');
    fail = false;
    await act(async () => button('Try again')?.click());
    const f = await waitFor(frame, 'the frame');
    expect(f.getAttribute('srcdoc')).toContain('<p>Finally</p>');
    expect(call).toHaveBeenCalledTimes(2);
  });

  it('lists attachments with their size and type, not the inline pictures', async () => {
    await putBody(
      db,
      bodyOf({
        html: '<p>See attached</p>',
        attachments: [
          { partId: '2', filename: 'report.pdf', contentType: 'application/pdf', size: 1536, contentId: null, inline: false },
          { partId: '3', filename: 'logo.png', contentType: 'image/png', size: 100, contentId: 'logo@x', inline: true },
        ],
      }),
    );
    const { engine } = fakeEngine(() => Promise.reject(new Error('no')));
    await render(engine);
    const list = await waitFor(() => host.querySelector('ul[aria-label="1 attachment"]'), 'the attachment list');
    const item = list.querySelector('li');
    expect(item?.getAttribute('aria-label')).toMatch(/^report\.pdf, 1\.5 kB, application\/pdf$/);
  });

  it('says so when the message is gone', async () => {
    const { engine } = fakeEngine(() => Promise.reject(new Error('no')));
    await render(engine, [A, 'INBOX', 99]);
    await waitFor(() => host.textContent?.includes('no longer here'), 'the gone message');
  });
});
