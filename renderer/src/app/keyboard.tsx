import { useEffect, useRef } from 'react';
import { Dialog } from '../components/Dialog';
import { KeyLayer, SHORTCUTS, type AppCommand } from './shortcuts';

/**
 * Listens for the app's shortcuts on the document (see shortcuts.ts for who handles what).
 * List keys pressed elsewhere are handed to the message list: it takes focus (so focus stays
 * where the keys act, and visible) and gets the key as if pressed there.
 */
export function useKeyboardLayer(commands: Record<AppCommand, () => void>): void {
  const latest = useRef(commands);
  latest.current = commands;
  useEffect(() => {
    const layer = new KeyLayer();
    const onKey = (e: KeyboardEvent) => {
      const d = layer.decide({ key: e.key, ctrlKey: e.ctrlKey, metaKey: e.metaKey, altKey: e.altKey, defaultPrevented: e.defaultPrevented, target: e.target, time: e.timeStamp });
      if (!d) return;
      if (d.kind === 'prefix') {
        e.preventDefault();
        return;
      }
      if (d.kind === 'app') {
        e.preventDefault();
        latest.current[d.command]();
        return;
      }
      const list = document.querySelector<HTMLElement>('[data-shortcut-scope="list"]');
      if (!list) return;
      e.preventDefault();
      list.focus();
      list.dispatchEvent(new KeyboardEvent('keydown', { key: d.key, shiftKey: e.shiftKey, bubbles: true, cancelable: true }));
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
}

/** `?`: every shortcut, grouped. */
export function ShortcutsDialog(props: { onClose: () => void }) {
  return (
    <Dialog title="Keyboard shortcuts" onClose={props.onClose}>
      {SHORTCUTS.map((g) => (
        <section key={g.group} className="shortcuts-group" aria-label={g.group}>
          <h3>{g.group}</h3>
          <dl className="shortcuts">
            {g.items.map((s) => (
              <div key={s.keys} className="shortcut">
                <dt>
                  {s.keys.split(' ').map((part, i, parts) =>
                    parts.length > 1 && (part === 'or' || part === 'then' || part === '/') ? (
                      <span key={i} className="muted"> {part} </span>
                    ) : (
                      <kbd key={i}>{part}</kbd>
                    ),
                  )}
                </dt>
                <dd>{s.does}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
    </Dialog>
  );
}
