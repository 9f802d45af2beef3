import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { foldersOf, type FolderRecord } from '../../db';
import { useDb } from '../../db/db-context';
import { Icon } from '../../components/Icon';
import { ActionIcon } from './ActionIcon';
import { buildFolderTree, displayName, type FolderNode } from '../folders/folder-tree';

/**
 * "Move to…" / "Copy to…": a button opening a small popup with a filter field and the
 * account's folders as a listbox (the ARIA combobox pattern: focus stays in the field, the
 * arrow keys move the active option, Enter picks it, Escape closes and gives focus back).
 */
export function FolderPicker(props: {
  accountId: string;
  /** The folder the messages are in (not offered). */
  currentPath: string;
  mode: 'move' | 'copy';
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onChoose: (path: string) => void;
}) {
  const db = useDb();
  const folders = useLiveQuery(() => foldersOf(db, props.accountId), [db, props.accountId]);
  const label = props.mode === 'move' ? 'Move to…' : 'Copy to…';
  const title = props.mode === 'move' ? 'Move to folder' : 'Copy to folder';
  const id = useId();
  const button = useRef<HTMLButtonElement>(null);
  const popup = useRef<HTMLDivElement>(null);
  const input = useRef<HTMLInputElement>(null);
  const returnTo = useRef<HTMLElement | null>(null);
  const [filter, setFilter] = useState('');
  const [active, setActive] = useState(0);
  // Fixed to the viewport under the button: the reader's header scrolls and would clip it.
  const [place, setPlace] = useState<{ top: number; left: number } | null>(null);

  const options = useMemo(() => {
    const flat: { folder: FolderRecord; depth: number }[] = [];
    const walk = (nodes: FolderNode[]) => {
      for (const n of nodes) {
        if (n.folder.selectable && n.folder.path !== props.currentPath) flat.push({ folder: n.folder, depth: n.depth });
        walk(n.children);
      }
    };
    walk(buildFolderTree(folders ?? []));
    const q = filter.trim().toLowerCase();
    return q ? flat.filter((o) => o.folder.path.toLowerCase().includes(q) || displayName(o.folder).toLowerCase().includes(q)) : flat;
  }, [folders, props.currentPath, filter]);

  // Opening: remember where focus was, start with an empty filter, focus the field.
  useEffect(() => {
    if (!props.open) return;
    const was = document.activeElement;
    returnTo.current = was instanceof HTMLElement && was !== document.body ? was : null;
    setFilter('');
    setActive(0);
    const r = button.current?.getBoundingClientRect();
    setPlace(r ? { top: r.bottom + 4, left: Math.max(8, Math.min(r.left, window.innerWidth - 268)) } : null);
  }, [props.open]);

  useEffect(() => {
    if (props.open && place) input.current?.focus();
  }, [props.open, place]);

  // A click outside closes it.
  const onOpenChange = useRef(props.onOpenChange);
  onOpenChange.current = props.onOpenChange;
  useEffect(() => {
    if (!props.open) return;
    const onDown = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!popup.current?.contains(t) && !button.current?.contains(t)) onOpenChange.current(false);
    };
    document.addEventListener('pointerdown', onDown);
    return () => document.removeEventListener('pointerdown', onDown);
  }, [props.open]);

  const close = (refocus = true) => {
    props.onOpenChange(false);
    if (refocus) {
      const back = returnTo.current?.isConnected ? returnTo.current : button.current;
      // After React has removed the popup.
      setTimeout(() => back?.focus(), 0);
    }
  };
  const choose = (path: string) => {
    close();
    props.onChoose(path);
  };
  const at = Math.min(active, Math.max(0, options.length - 1));
  const optionId = (i: number) => `${id}-opt-${i}`;

  const onKeyDown = (e: KeyboardEvent) => {
    const move = (to: number) => {
      e.preventDefault();
      setActive(Math.max(0, Math.min(options.length - 1, to)));
    };
    switch (e.key) {
      case 'ArrowDown':
        return move(at + 1);
      case 'ArrowUp':
        return move(at - 1);
      case 'Home':
        return move(0);
      case 'End':
        return move(options.length - 1);
      case 'PageDown':
        return move(at + 8);
      case 'PageUp':
        return move(at - 8);
      case 'Enter': {
        e.preventDefault();
        const o = options[at];
        if (o) choose(o.folder.path);
        return;
      }
      case 'Escape':
        e.preventDefault();
        e.stopPropagation();
        close();
        return;
      case 'Tab':
        close(false);
        return;
    }
  };

  useEffect(() => {
    if (props.open) document.getElementById(optionId(at))?.scrollIntoView({ block: 'nearest' });
  });

  return (
    <div className="picker">
      <button
        ref={button}
        type="button"
        className="toolbar-button toolbar-text"
        aria-haspopup="dialog"
        aria-expanded={props.open}
        aria-controls={props.open ? `${id}-popup` : undefined}
        title={props.mode === 'move' ? `${title} (v)` : title}
        onClick={() => (props.open ? close(false) : props.onOpenChange(true))}
      >
        <ActionIcon name={props.mode} />
        <span>{label}</span>
      </button>
      {props.open && (
        <div
          ref={popup}
          id={`${id}-popup`}
          className="picker-popup"
          role="dialog"
          aria-label={title}
          style={place ? { top: place.top, left: place.left } : { visibility: 'hidden' }}
        >
          <input
            ref={input}
            className="picker-filter"
            type="text"
            role="combobox"
            aria-label="Folder name"
            aria-expanded="true"
            aria-controls={`${id}-list`}
            aria-autocomplete="list"
            aria-activedescendant={options[at] ? optionId(at) : undefined}
            placeholder="Find a folder"
            value={filter}
            onChange={(e) => {
              setFilter(e.target.value);
              setActive(0);
            }}
            onKeyDown={onKeyDown}
          />
          <ul id={`${id}-list`} className="picker-list" role="listbox" aria-label="Folders">
            {options.map((o, i) => (
              <li
                key={o.folder.path}
                id={optionId(i)}
                role="option"
                aria-selected={i === at}
                className={`picker-option${i === at ? ' active' : ''}`}
                style={{ paddingLeft: 10 + o.depth * 14 }}
                title={o.folder.path}
                onPointerMove={() => setActive(i)}
                onClick={() => choose(o.folder.path)}
              >
                <Icon name={o.folder.specialUse ?? 'folder'} className="folder-icon" />
                <span className="folder-name">{displayName(o.folder)}</span>
              </li>
            ))}
            {options.length === 0 && (
              <li className="picker-empty" role="presentation">
                No folder matches.
              </li>
            )}
          </ul>
        </div>
      )}
    </div>
  );
}
