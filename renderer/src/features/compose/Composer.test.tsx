// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Account, BuiltMessage, ComposeInputIn, DraftSaveResult } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import type { EngineConnection } from '../../ipc/connect';
import { EngineProvider } from '../../ipc/engine-context';
import { PetrelDb } from '../../db/schema';
import { DbProvider } from '../../db/db-context';
import { OutboxDb, OutboxProvider, OutboxRunner, UNDO_SECONDS_KEY, type Outbox, type OutboxEntry } from '../../outbox';
import { ComposeButton, ComposeProvider } from './ComposeProvider';
import { OutboxView } from './OutboxView';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

const account: Account = {
  id: 'acct-alice',
  label: 'Work',
  name: 'Alice',
  email: 'alice@example.test',
  auth: { method: 'password' },
  imap: { host: 'imap.example.test', port: 993, security: 'tls', username: 'alice' },
  smtp: { host: 'smtp.example.test', port: 587, security: 'starttls', username: 'alice' },
  pins: [],
  color: '#336699',
  order: 0,
  identities: [
    { id: 'main', name: 'Alice', email: 'alice@example.test', signature: '' },
    { id: 'team', name: 'Team', email: 'team@example.test', signature: '' },
  ],
  separateSmtpPassword: false,
  createdAt: 0,
};

type Call = { method: string; params: unknown };

function fakeEngine(handler: (method: string, params: unknown) => Promise<unknown>) {
  const calls: Call[] = [];
  const engine = {
    state: { status: 'connected', attempt: 0 },
    onState: () => () => undefined,
    call: async (method: string, params: unknown) => {
      calls.push({ method, params });
      return handler(method, params);
    },
    subscribe: (event: string, _params: unknown, handlers: { next: (d: unknown) => void }) => {
      if (event === 'accounts.changed') queueMicrotask(() => handlers.next({ accounts: [account] }));
      return () => undefined;
    },
  };
  return { engine: engine as unknown as EngineConnection, calls };
}

let builds = 0;
function built(input: ComposeInputIn): BuiltMessage {
  builds++;
  return {
    messageId: `<b${builds}@example.test>`,
    raw: btoa('x'),
    size: 1234,
    envelope: { from: 'alice@example.test', to: (input.to ?? []).map((a) => a.address) },
    date: 0,
  };
}

let root: Root | undefined;
let host: HTMLElement;
let db: OutboxDb;
let mailDb: PetrelDb;
let outbox: Outbox;

async function render(engine: EngineConnection, extra?: React.ReactNode) {
  const runner = new OutboxRunner(db, engine, { onError: () => undefined });
  // Not started: these tests look at what Send writes, not at submitting.
  outbox = { db, runner, stop: () => runner.stop() };
  await act(async () => {
    root = createRoot(host);
    root.render(
      <EngineProvider value={engine}>
        <DbProvider value={mailDb}>
          <OutboxProvider value={outbox}>
            <ComposeProvider timings={{ localMs: 10, serverMs: 40 }}>
              <ComposeButton />
              {extra}
            </ComposeProvider>
          </OutboxProvider>
        </DbProvider>
      </EngineProvider>,
    );
  });
  await settle();
}

async function settle(ms = 0) {
  await act(async () => {
    await new Promise((r) => setTimeout(r, ms));
  });
}

async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await settle(10);
  }
}

function byLabel<T extends HTMLElement>(label: string): T {
  const labels = [...host.querySelectorAll('label')].filter((l) => l.textContent?.trim() === label);
  const forId = labels[0]?.htmlFor;
  const el = (forId ? document.getElementById(forId) : null) ?? host.querySelector(`[aria-label="${label}"]`);
  if (!el) throw new Error(`no control named ${label}`);
  return el as T;
}

function button(name: string | RegExp): HTMLButtonElement {
  const match = (s: string | null | undefined) => (typeof name === 'string' ? s?.trim() === name : !!s && name.test(s));
  const b = [...host.querySelectorAll('button')].find((x) => match(x.getAttribute('aria-label')) || match(x.textContent));
  if (!b) throw new Error(`no button ${String(name)}`);
  return b;
}

async function type(el: HTMLInputElement, value: string) {
  await act(async () => {
    const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
    setter.call(el, value);
    el.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function blur(el: HTMLElement) {
  await act(async () => {
    el.dispatchEvent(new FocusEvent('focusout', { bubbles: true }));
  });
}

async function writeBody(html: string) {
  const editor = host.querySelector<HTMLElement>('[role="textbox"]')!;
  await act(async () => {
    editor.innerHTML = html;
    editor.dispatchEvent(new Event('input', { bubbles: true }));
  });
}

async function click(b: HTMLElement) {
  await act(async () => {
    b.click();
  });
}

async function openComposer() {
  await click(button('New message'));
  await until('the composer', () => host.querySelector('.composer') !== null);
}

function builtInputs(calls: Call[]): ComposeInputIn[] {
  return calls.filter((c) => c.method === 'outbox.build').map((c) => c.params as ComposeInputIn);
}

beforeEach(() => {
  host = document.createElement('div');
  document.body.append(host);
  db = new OutboxDb(`outbox-ui-${Math.random().toString(36).slice(2)}`);
  mailDb = new PetrelDb(`mail-ui-${Math.random().toString(36).slice(2)}`);
  localStorage.setItem(UNDO_SECONDS_KEY, '5');
});

afterEach(async () => {
  await act(async () => root?.unmount());
  root = undefined;
  outbox?.stop();
  host.remove();
  await db.delete();
  await mailDb.delete();
  localStorage.clear();
});

describe('the composer', () => {
  it('sends: builds once, puts the message in the outbox in its undo window, closes; Undo reopens it', async () => {
    const { engine, calls } = fakeEngine(async (method, params) => (method === 'outbox.build' ? built(params as ComposeInputIn) : {}));
    await render(engine);
    await openComposer();
    expect(byLabel<HTMLSelectElement>('From').value).toBe('acct-alice/main');
    await type(byLabel('To'), 'Bob <bob@example.test>, carol@example.test');
    await type(byLabel('Subject'), 'Lunch?');
    await writeBody('<div>Tomorrow at noon?</div>');
    await click(button('Send'));
    await until('the outbox entry', async () => (await db.outbox.count()) === 1);

    const inputs = builtInputs(calls);
    expect(inputs).toHaveLength(1);
    expect(inputs[0]).toMatchObject({
      accountId: 'acct-alice',
      identityId: 'main',
      to: [
        { name: 'Bob', address: 'bob@example.test' },
        { name: '', address: 'carol@example.test' },
      ],
      subject: 'Lunch?',
      text: 'Tomorrow at noon?',
    });
    expect(inputs[0]?.html).toBeUndefined();
    const [entry] = await db.outbox.toArray();
    expect(entry).toMatchObject({ state: 'waiting', messageId: '<b1@example.test>', summary: { subject: 'Lunch?' } });
    await until('the composer to close', () => host.querySelector('.composer') === null);

    await until('the undo notice', () => host.querySelector('[data-testid="undo-toast"]') !== null);
    expect(host.querySelector('[data-testid="undo-toast"]')?.textContent).toMatch(/Sending “Lunch\?” in [45] s/);
    await click(button('Undo sending “Lunch?”'));
    await until('the composer again', () => host.querySelector('.composer') !== null);
    expect(await db.outbox.count()).toBe(0);
    expect(byLabel<HTMLInputElement>('Subject').value).toBe('Lunch?');
    expect(byLabel<HTMLInputElement>('To').value).toBe('Bob <bob@example.test>, carol@example.test');
    expect(host.querySelector('[role="textbox"]')?.textContent).toBe('Tomorrow at noon?');
  });

  it('shows which addresses are wrong, and sends nothing', async () => {
    const { engine, calls } = fakeEngine(async () => ({}));
    await render(engine);
    await openComposer();
    const to = byLabel<HTMLInputElement>('To');
    await type(to, 'bob, ann@example.test');
    await blur(to);
    expect(to.getAttribute('aria-invalid')).toBe('true');
    expect(document.getElementById(to.getAttribute('aria-describedby')!)?.textContent).toBe('Not an address: bob');
    await click(button('Send'));
    expect(host.querySelector('[role="alert"]')?.textContent).toMatch(/not valid/);
    expect(builtInputs(calls)).toHaveLength(0);
    expect(await db.outbox.count()).toBe(0);
  });

  it('sends formatted text as html and attaches files with their sizes shown', async () => {
    const { engine, calls } = fakeEngine(async (method, params) => (method === 'outbox.build' ? built(params as ComposeInputIn) : {}));
    await render(engine);
    await openComposer();
    await type(byLabel('To'), 'bob@example.test');
    await writeBody('<div>Hello <b>Bob</b></div><ul><li>one</li></ul><img src="https://tracker.example/x.gif" onerror="alert(1)">');
    const file = new File([new Uint8Array([1, 2, 3, 250])], 'data.bin', { type: 'application/octet-stream' });
    const picker = byLabel<HTMLInputElement>('Attach files');
    await act(async () => {
      Object.defineProperty(picker, 'files', { value: [file], configurable: true });
      picker.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await until('the attachment', () => host.querySelector('.attachment') !== null);
    expect(host.querySelector('.attachment')?.textContent).toMatch(/data\.bin.*4 B/);
    await click(button('Send'));
    await until('the build', () => builtInputs(calls).length === 1);
    const input = builtInputs(calls)[0]!;
    expect(input.html).toBe('<div>Hello <b>Bob</b></div><ul><li>one</li></ul>');
    expect(input.text).toBe('');
    expect(input.attachments).toEqual([{ filename: 'data.bin', contentType: 'application/octet-stream', contentBase64: 'AQID+g==' }]);
  });

  it('can remove an attachment again', async () => {
    const { engine } = fakeEngine(async () => ({}));
    await render(engine);
    await openComposer();
    const picker = byLabel<HTMLInputElement>('Attach files');
    await act(async () => {
      Object.defineProperty(picker, 'files', { value: [new File(['abc'], 'a.txt', { type: 'text/plain' })], configurable: true });
      picker.dispatchEvent(new Event('change', { bubbles: true }));
    });
    await until('the attachment', () => host.querySelector('.attachment') !== null);
    await click(button('Remove a.txt'));
    expect(host.querySelector('.attachment')).toBeNull();
  });

  it('keeps the composer open with the reason when the engine refuses to build', async () => {
    const { engine } = fakeEngine(async () => {
      throw new PetrelError('MESSAGE_TOO_LARGE', 'The attachments come to 30.0 MB; Petrel sends at most 25.0 MB per message.');
    });
    await render(engine);
    await openComposer();
    await type(byLabel('To'), 'bob@example.test');
    await click(button('Send'));
    await until('the error', () => host.querySelector('[role="alert"]') !== null);
    expect(host.querySelector('[role="alert"]')?.textContent).toMatch(/at most 25\.0 MB/);
    expect(host.querySelector('.composer')).not.toBeNull();
    expect(await db.outbox.count()).toBe(0);
  });

  it('saves the draft on this device on a pause and to Drafts after typing stops, replacing the previous version', async () => {
    let uid = 0;
    const { engine, calls } = fakeEngine(async (method) => {
      if (method === 'drafts.save') {
        uid++;
        return { accountId: 'acct-alice', path: 'Drafts', uidValidity: '9', uid, messageId: `<d${uid}@example.test>` } satisfies DraftSaveResult;
      }
      if (method === 'outbox.build') return built({ to: [{ address: 'bob@example.test' }] } as ComposeInputIn);
      return {};
    });
    await render(engine);
    await openComposer();
    await type(byLabel('Subject'), 'Plans');
    await until('the local draft', async () => (await db.drafts.count()) === 1);
    expect((await db.drafts.toArray())[0]?.content.subject).toBe('Plans');
    await until('the server draft', () => calls.some((c) => c.method === 'drafts.save'));
    expect(calls.find((c) => c.method === 'drafts.save')?.params).toMatchObject({ message: { subject: 'Plans' } });
    expect((calls.find((c) => c.method === 'drafts.save')?.params as { replaces?: unknown }).replaces).toBeUndefined();

    await type(byLabel('Subject'), 'Plans for Friday');
    await until('the second save', () => calls.filter((c) => c.method === 'drafts.save').length === 2);
    expect(calls.filter((c) => c.method === 'drafts.save')[1]?.params).toMatchObject({
      message: { subject: 'Plans for Friday' },
      replaces: { path: 'Drafts', uidValidity: '9', uid: 1 },
    });

    // Sending takes the draft along, so the engine removes it once the message is sent.
    await type(byLabel('To'), 'bob@example.test');
    await click(button('Send'));
    await until('the outbox entry', async () => (await db.outbox.count()) === 1);
    const [entry] = await db.outbox.toArray();
    expect((entry as OutboxEntry).draftRef).toEqual({ accountId: 'acct-alice', path: 'Drafts', uidValidity: '9', uid: expect.any(Number) });
    expect(await db.drafts.count()).toBe(0);
  });

  it('closing saves to Drafts; when that fails the draft stays on this device', async () => {
    const { engine } = fakeEngine(async (method) => {
      if (method === 'drafts.save') throw new PetrelError('DISCONNECTED', 'Lost the connection to the Petrel engine.');
      return {};
    });
    await render(engine, <OutboxView />);
    await openComposer();
    await type(byLabel('Subject'), 'Unfinished');
    await click(button('Save and close'));
    await until('the composer to close', () => host.querySelector('.composer') === null);
    await until('the local draft listed', () => host.querySelector('[data-testid="local-draft"]') !== null);
    expect(host.querySelector('[data-testid="local-draft"]')?.textContent).toMatch(/Unfinished/);
    await click(button('Open draft “Unfinished”'));
    await until('the composer', () => host.querySelector('.composer') !== null);
    expect(byLabel<HTMLInputElement>('Subject').value).toBe('Unfinished');
  });

  it('gives every control an accessible name', async () => {
    const { engine } = fakeEngine(async () => ({}));
    await render(engine);
    await openComposer();
    await click(button('Cc/Bcc'));
    const controls = [...host.querySelectorAll<HTMLElement>('.composer button, .composer input, .composer select, .composer [role="textbox"]')];
    expect(controls.length).toBeGreaterThan(8);
    for (const el of controls) {
      const id = el.getAttribute('id');
      const named =
        !!el.getAttribute('aria-label') ||
        (id !== null && host.querySelector(`label[for="${id}"]`) !== null) ||
        (el.tagName === 'BUTTON' && !!el.textContent?.trim()) ||
        el.closest('label') !== null;
      expect(named, el.outerHTML).toBe(true);
    }
    expect(host.querySelector('.composer')?.getAttribute('role')).toBe('dialog');
  });
});

describe('the outbox view', () => {
  async function seed(e: Partial<OutboxEntry>): Promise<void> {
    await db.outbox.put({
      id: `out-${Math.random().toString(36).slice(2)}`,
      accountId: 'acct-alice',
      input: { accountId: 'acct-alice', identityId: 'main' },
      messageId: '<s@example.test>',
      raw: btoa('x'),
      size: 2048,
      envelope: { from: 'alice@example.test', to: ['nobody@example.test'] },
      summary: { from: 'alice@example.test', to: ['nobody@example.test'], subject: 'Report' },
      content: { accountId: 'acct-alice', identityId: 'main', to: 'nobody@example.test', cc: '', bcc: '', subject: 'Report', text: 'x', html: null, attachments: [] },
      saveToSent: true,
      state: 'failed',
      sendAt: 0,
      createdAt: 0,
      updatedAt: 0,
      attempts: 1,
      ...e,
    });
  }

  it('shows a failed message with the server’s words; Edit moves it back to a composer', async () => {
    await seed({
      error: {
        code: 'RECIPIENT_REJECTED',
        message: 'The server refused nobody@example.test: 550 5.1.1 <nobody@example.test>: Recipient address rejected: User unknown',
      },
      retryable: false,
    });
    const { engine } = fakeEngine(async () => ({}));
    await render(engine, <OutboxView />);
    await until('the entry', () => host.querySelector('[data-testid="outbox-entry"]') !== null);
    const item = host.querySelector('[data-testid="outbox-entry"]')!;
    expect(item.textContent).toMatch(/Not sent/);
    expect(item.textContent).toMatch(/Recipient address rejected: User unknown/);
    expect(item.textContent).toMatch(/2 KB/);
    expect(button('Retry')).toBeTruthy();
    expect(button('Delete')).toBeTruthy();
    await click(button('Edit'));
    await until('the composer', () => host.querySelector('.composer') !== null);
    expect(byLabel<HTMLInputElement>('To').value).toBe('nobody@example.test');
    expect(await db.outbox.count()).toBe(0);
  });

  it('asks about an uncertain message: send again, or don’t', async () => {
    await seed({ state: 'uncertain', error: { code: 'SEND_UNCERTAIN', message: 'The connection broke just after the message went out.' } });
    const calls: string[] = [];
    const { engine } = fakeEngine(async (method) => {
      calls.push(method);
      return { state: 'sent', filedInSent: true, rejected: [], draftRemoved: false };
    });
    await render(engine, <OutboxView />);
    await until('the entry', () => host.querySelector('[data-state="uncertain"]') !== null);
    expect(host.querySelector('[data-state="uncertain"]')?.textContent).toMatch(/May have been sent.*may get it twice/);
    await click(button('Send again'));
    await until('the entry to go', async () => (await db.outbox.count()) === 0);
    expect(calls).toEqual(['outbox.submit']);
  });

  it('"Don’t send" removes an uncertain message without contacting the engine', async () => {
    await seed({ state: 'uncertain', error: { code: 'SEND_UNCERTAIN', message: 'It may have been sent.' } });
    const { engine, calls } = fakeEngine(async () => ({}));
    await render(engine, <OutboxView />);
    await until('the entry', () => host.querySelector('[data-state="uncertain"]') !== null);
    await click(button('Don’t send'));
    await until('the entry to go', async () => (await db.outbox.count()) === 0);
    expect(calls.filter((c) => c.method.startsWith('outbox.'))).toHaveLength(0);
  });
});

vi.setConfig({ testTimeout: 15_000 });
