// @vitest-environment jsdom
import 'fake-indexeddb/auto';
import { act, useState } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contactBook } from '../../contacts';
import { DbProvider } from '../../db/db-context';
import type { PetrelDb } from '../../db/schema';
import { newDb } from '../../db/test-fixtures';
import { AddressInput, currentTokenStart, withPicked } from './AddressInput';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

describe('the address being typed', () => {
  it('starts after the last separator outside quotes and angle brackets', () => {
    expect(currentTokenStart('ann')).toBe(0);
    expect(currentTokenStart('a@x.test, bo')).toBe(9);
    expect(currentTokenStart('"Last, First" <f@x.test>; ca')).toBe(25);
  });

  it('is replaced by the pick, ready for the next', () => {
    const c = { key: 'ann@x.test', address: 'ann@x.test', name: 'Ann, A.', sent: 0, lastSent: 0, seen: 0, lastSeen: 0 };
    expect(withPicked('bob@x.test, an', c)).toBe('bob@x.test, "Ann, A." <ann@x.test>, ');
    expect(withPicked('an', { ...c, name: '' })).toBe('ann@x.test, ');
  });
});

describe('AddressInput', () => {
  let db: PetrelDb;
  let host: HTMLElement;
  let root: Root | undefined;
  let value = '';

  beforeEach(async () => {
    db = newDb();
    await db.contacts.bulkPut([
      { key: 'anna@x.test', address: 'anna@x.test', name: 'Anna Bell', sent: 5, lastSent: Date.now(), seen: 0, lastSeen: 0 },
      { key: 'andy@x.test', address: 'andy@x.test', name: '', sent: 0, lastSent: 0, seen: 3, lastSeen: Date.now() },
      // The person's own address: in To of all their mail.
      { key: 'me@x.test', address: 'Me@x.test', name: 'Me Myself', sent: 9, lastSent: Date.now(), seen: 900, lastSeen: Date.now() },
    ]);
    host = document.createElement('div');
    document.body.append(host);
    value = '';
    function Field() {
      const [v, setV] = useState('');
      value = v;
      return <AddressInput id="to" label="To" value={v} onChange={setV} own={['me@x.test']} />;
    }
    await act(async () => {
      root = createRoot(host);
      root.render(
        <DbProvider value={db}>
          <label htmlFor="to">To</label>
          <Field />
        </DbProvider>,
      );
    });
  });

  afterEach(async () => {
    await act(async () => root?.unmount());
    host.remove();
    await db.delete();
  });

  const input = () => host.querySelector('input')!;
  const listbox = () => host.querySelector('[role="listbox"]') as HTMLElement;
  const options = () => [...host.querySelectorAll('[role="option"]')] as HTMLElement[];

  async function type(text: string) {
    await act(async () => {
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      setter.call(input(), text);
      input().dispatchEvent(new Event('input', { bubbles: true }));
    });
    for (let i = 0; i < 20 && options().length === 0; i++) await act(() => new Promise((r) => setTimeout(r, 5)));
  }

  async function key(k: string) {
    await act(async () => {
      input().dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true }));
    });
  }

  it('is a combobox whose suggestions are picked with the keyboard', async () => {
    expect(input().getAttribute('role')).toBe('combobox');
    expect(input().getAttribute('aria-expanded')).toBe('false');
    await type('an');
    expect(input().getAttribute('aria-expanded')).toBe('true');
    expect(listbox().getAttribute('aria-label')).toBe('Suggestions for To');
    expect(input().getAttribute('aria-controls')).toBe(listbox().id);
    expect(options().map((o) => o.textContent)).toEqual(['Anna Bell anna@x.test', 'andy@x.test']);
    expect(input().getAttribute('aria-activedescendant')).toBe(options()[0]!.id);
    await key('ArrowDown');
    expect(options()[1]!.getAttribute('aria-selected')).toBe('true');
    expect(input().getAttribute('aria-activedescendant')).toBe(options()[1]!.id);
    await key('Enter');
    expect(value).toBe('andy@x.test, ');
    expect(input().getAttribute('aria-expanded')).toBe('false');
    // The next address: the one already there is not offered again.
    await type('andy@x.test, an');
    expect(options().map((o) => o.textContent)).toEqual(['Anna Bell anna@x.test']);
    await key('Tab');
    expect(value).toBe('andy@x.test, Anna Bell <anna@x.test>, ');
  });

  it('shows addresses indexed while the field is being typed in', async () => {
    await act(async () => input().focus());
    await type('do');
    expect(options()).toHaveLength(0);
    await db.contacts.put({ key: 'dora@x.test', address: 'dora@x.test', name: 'Dora', sent: 1, lastSent: Date.now(), seen: 0, lastSeen: 0 });
    await act(async () => contactBook(db).invalidate());
    for (let i = 0; i < 20 && options().length === 0; i++) await act(() => new Promise((r) => setTimeout(r, 5)));
    expect(options().map((o) => o.textContent)).toEqual(['Dora dora@x.test']);
  });

  it('offers your own address after everyone else', async () => {
    await type('m');
    expect(options().map((o) => o.textContent)).toEqual(['Me Myself Me@x.test']);
    await type('x.t');
    expect(options().map((o) => o.textContent)).toEqual(['Anna Bell anna@x.test', 'andy@x.test', 'Me Myself Me@x.test']);
  });

  it('Escape closes the suggestions and leaves the text', async () => {
    await type('an');
    await key('Escape');
    expect(input().getAttribute('aria-expanded')).toBe('false');
    await key('Enter');
    expect(value).toBe('an');
  });
});
