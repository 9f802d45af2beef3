// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { KeyLayer, LIST_KEYS, SEQUENCE_MS, SHORTCUTS, type KeyInput } from './shortcuts';

function el(html: string, selector: string): Element {
  const host = document.createElement('div');
  host.innerHTML = html;
  document.body.append(host);
  const found = host.querySelector(selector);
  if (!found) throw new Error(selector);
  return found;
}

const body = () => document.body;
const press = (key: string, target: EventTarget | null, time = 0, extra: Partial<KeyInput> = {}): KeyInput => ({
  key,
  target,
  time,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  defaultPrevented: false,
  ...extra,
});

describe('the keyboard layer', () => {
  it('c composes and ? shows the shortcuts, from anywhere but where one types', () => {
    const layer = new KeyLayer();
    expect(layer.decide(press('c', body()))).toEqual({ kind: 'app', command: 'compose' });
    expect(layer.decide(press('?', el('<button>x</button>', 'button')))).toEqual({ kind: 'app', command: 'help' });
    expect(layer.decide(press('c', el('<input type="search">', 'input')))).toBeNull();
    expect(layer.decide(press('c', el('<textarea></textarea>', 'textarea')))).toBeNull();
    expect(layer.decide(press('c', el('<div contenteditable="true"><p>x</p></div>', 'p')))).toBeNull();
    // Dialogs (the composer is one) keep their keys.
    expect(layer.decide(press('c', el('<section role="dialog"><button>Send</button></section>', 'button')))).toBeNull();
    expect(layer.decide(press('c', el('<dialog open><button>Ok</button></dialog>', 'button')))).toBeNull();
    // Modifiers belong to the browser; a key someone handled is done.
    expect(layer.decide(press('c', body(), 0, { ctrlKey: true }))).toBeNull();
    expect(layer.decide(press('c', body(), 0, { metaKey: true }))).toBeNull();
    expect(layer.decide(press('c', body(), 0, { defaultPrevented: true }))).toBeNull();
  });

  it('g then i goes to the inbox; the sequence breaks on another key, on typing, or after a pause', () => {
    const layer = new KeyLayer();
    expect(layer.decide(press('g', body(), 1000))).toEqual({ kind: 'prefix' });
    expect(layer.decide(press('i', body(), 1000 + SEQUENCE_MS))).toEqual({ kind: 'app', command: 'goInbox' });
    // i alone does nothing.
    expect(layer.decide(press('i', body(), 5000))).toBeNull();
    // Another key in between.
    layer.decide(press('g', body(), 6000));
    expect(layer.decide(press('x', body(), 6001))).toBeNull();
    expect(layer.decide(press('i', body(), 6002))).toBeNull();
    // Too late.
    layer.decide(press('g', body(), 7000));
    expect(layer.decide(press('i', body(), 7000 + SEQUENCE_MS + 1))).toBeNull();
    // Typing "gi" in a field is typing.
    const input = el('<input>', 'input');
    expect(layer.decide(press('g', input, 8000))).toBeNull();
    expect(layer.decide(press('i', input, 8001))).toBeNull();
  });

  it('hands list keys to the list when focus is elsewhere, and leaves them to it when it has focus', () => {
    const layer = new KeyLayer();
    const reader = el('<section tabindex="-1"><p>text</p><button>Archive</button></section>', 'p');
    expect(layer.decide(press('j', reader))).toEqual({ kind: 'list', key: 'j' });
    expect(layer.decide(press('#', body()))).toEqual({ kind: 'list', key: '#' });
    // A letter on a button still means the list; Enter on a button is the button's.
    const button = el('<div role="toolbar"><button>Star</button></div>', 'button');
    expect(layer.decide(press('s', button))).toEqual({ kind: 'list', key: 's' });
    expect(layer.decide(press('Enter', button))).toBeNull();
    expect(layer.decide(press('Enter', body()))).toEqual({ kind: 'list', key: 'Enter' });
    // Inside the list: its own handler has it.
    const list = el('<div role="listbox" data-shortcut-scope="list"><div role="option">x</div></div>', '[role=listbox]');
    expect(layer.decide(press('j', list))).toBeNull();
    // Keys nobody owns.
    expect(layer.decide(press('z', body()))).toBeNull();
    expect(layer.decide(press('ArrowDown', body()))).toBeNull();
  });

  it('lists every key it acts on in the help', () => {
    const listed = SHORTCUTS.flatMap((g) => g.items.map((s) => s.keys)).join(' ');
    for (const key of LIST_KEYS) expect(listed.toLowerCase()).toContain(key.toLowerCase());
    for (const key of ['c', '/', 'g then i', '?', 'Enter']) expect(listed).toContain(key);
  });
});
