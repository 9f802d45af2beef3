import { useLiveQuery } from 'dexie-react-hooks';
import { useState, type DragEvent } from 'react';
import { foldersOf, type FolderRecord } from '../../db';
import { useDb } from '../../db/db-context';
import { Icon } from '../../components/Icon';
import type { Targets } from '../actions/actions';
import { draggedMessages, droppedMessages, wantsCopy } from '../actions/drag';
import { buildFolderTree, displayName, type FolderNode } from './folder-tree';

export interface FolderSelection {
  accountId: string;
  path: string;
}

/**
 * One account's folders as a tree, with unread counts; a folder is selected by click or
 * keyboard. Messages dragged from the list drop onto another folder of their account (moved;
 * copied with Ctrl or Alt held). The keyboard way is the reader's "Move to…".
 */
export function FolderTree(props: {
  accountId: string;
  selected: FolderSelection | null;
  onSelect: (s: FolderSelection) => void;
  onDropMessages?: (targets: Targets, to: string, copy: boolean) => void;
}) {
  const db = useDb();
  const folders = useLiveQuery(() => foldersOf(db, props.accountId), [db, props.accountId]);
  const [dropOn, setDropOn] = useState<string | null>(null);
  const takes = (e: DragEvent, f: FolderRecord) => {
    const t = draggedMessages(e);
    return !!props.onDropMessages && !!t && t.accountId === f.accountId && t.path !== f.path && f.selectable;
  };
  if (!folders) return null;
  if (folders.length === 0) return <p className="muted small folder-empty">Loading folders…</p>;
  const render = (nodes: FolderNode[]) =>
    nodes.map((n) => {
      const f = n.folder;
      const active = props.selected?.accountId === f.accountId && props.selected.path === f.path;
      const unread = f.unread;
      return (
        <li key={f.path} role="none">
          <button
            type="button"
            role="treeitem"
            aria-selected={active}
            aria-current={active ? 'true' : undefined}
            disabled={!f.selectable}
            className={`folder${active ? ' active' : ''}${dropOn === f.path ? ' drop-target' : ''}`}
            style={{ paddingLeft: 22 + n.depth * 14 }}
            onClick={() => props.onSelect({ accountId: f.accountId, path: f.path })}
            onDragOver={(e) => {
              if (!takes(e, f)) return;
              e.preventDefault();
              e.dataTransfer.dropEffect = wantsCopy(e) ? 'copy' : 'move';
              if (dropOn !== f.path) setDropOn(f.path);
            }}
            onDragLeave={() => setDropOn((p) => (p === f.path ? null : p))}
            onDrop={(e) => {
              setDropOn(null);
              const t = droppedMessages(e);
              if (!t || !takes(e, f)) return;
              e.preventDefault();
              props.onDropMessages?.(t, f.path, wantsCopy(e));
            }}
            aria-label={`${displayName(f)}${unread > 0 ? `, ${unread} unread` : ''}`}
            data-folder={f.path}
          >
            <Icon name={f.specialUse ?? 'folder'} className="folder-icon" />
            <span className="folder-name">{displayName(f)}</span>
            {unread > 0 && (
              <span className="badge" aria-hidden="true">
                {unread.toLocaleString()}
              </span>
            )}
          </button>
          {n.children.length > 0 && (
            <ul role="group" className="folder-list">
              {render(n.children)}
            </ul>
          )}
        </li>
      );
    });
  return (
    <ul role="tree" className="folder-list" aria-label="Folders" data-testid={`folders-${props.accountId}`}>
      {render(buildFolderTree(folders))}
    </ul>
  );
}
