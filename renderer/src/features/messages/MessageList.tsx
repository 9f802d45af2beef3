import { useVirtualizer } from '@tanstack/react-virtual';
import { useLiveQuery } from 'dexie-react-hooks';
import { useId, useRef, type KeyboardEvent, type MouseEvent } from 'react';
import { folder as folderQuery, folderMessages, type MessageRecord } from '../../db';
import { useDb } from '../../db/db-context';
import { Icon } from '../../components/Icon';
import type { MessageAction } from '../actions/actions';
import { endMessageDrag, startMessageDrag } from '../actions/drag';
import { listDate, senderOf } from './format';
import { extend, single, toggle, type Selection } from './selection';

const ROW_HEIGHT = 74;
const PAGE = 100;

/** The list's action keys (lower-case letters without Shift; '#' and '!' come with it). */
const ACTION_KEYS: Record<string, MessageAction> = {
  u: 'toggleRead',
  s: 'toggleStar',
  e: 'archive',
  '#': 'delete',
  Delete: 'delete',
  '!': 'spam',
};

/**
 * A folder's messages, newest first, virtualized: only the rows on screen are in the DOM
 * and only their page is read from IndexedDB, so 100k messages scroll like 100.
 *
 * Selection: click selects one, Ctrl/Cmd-click adds or removes one, Shift-click selects a
 * range from the anchor; j/k or the arrows move (with Shift: extend), Escape keeps only the
 * focused one. Keys act on the selection: u read/unread, s star, e archive, # or Delete
 * delete, ! spam, v move to a folder. Rows drag (the selection, or the row itself when it is
 * not selected) onto folders.
 */
export function MessageList(props: {
  accountId: string;
  path: string;
  title: string;
  selection: Selection;
  onSelectionChange: (selection: Selection) => void;
  onAction: (action: MessageAction) => void;
  /** `v`: open "Move to…". */
  onOpenMove: () => void;
}) {
  const db = useDb();
  const listId = useId();
  const parent = useRef<HTMLDivElement>(null);
  const selected = new Set(props.selection.uids);
  const info = useLiveQuery(() => folderQuery(db, props.accountId, props.path), [db, props.accountId, props.path]);
  const count = info?.cachedTotal ?? 0;
  const virtual = useVirtualizer({
    count,
    getScrollElement: () => parent.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });
  const items = virtual.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  const start = Math.floor(first / PAGE) * PAGE;
  const end = (Math.floor(last / PAGE) + 1) * PAGE;
  const rows = useLiveQuery(
    () => folderMessages(db, props.accountId, props.path, { offset: start, limit: end - start }),
    [db, props.accountId, props.path, start, end],
  );

  const order = rows?.map((r) => r.uid) ?? [];
  const select = (next: Selection) => props.onSelectionChange(next);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const action = ACTION_KEYS[e.key];
    if (action) {
      e.preventDefault();
      if (props.selection.uids.length > 0) props.onAction(action);
      return;
    }
    if (e.key === 'v') {
      e.preventDefault();
      if (props.selection.uids.length > 0) props.onOpenMove();
      return;
    }
    if (e.key === 'Escape' && props.selection.focus !== null && props.selection.uids.length > 1) {
      e.preventDefault();
      select(single(props.selection.focus));
      return;
    }
    // j/k and the arrow keys move the selection, as in every mail client; Shift extends it.
    const down = e.key === 'j' || e.key === 'J' || e.key === 'ArrowDown';
    const up = e.key === 'k' || e.key === 'K' || e.key === 'ArrowUp';
    const step = down ? 1 : up ? -1 : 0;
    if (step === 0 || !rows || rows.length === 0) return;
    e.preventDefault();
    const at = rows.findIndex((r) => r.uid === props.selection.focus);
    const next = rows[Math.min(rows.length - 1, Math.max(0, at === -1 ? 0 : at + step))];
    if (next) {
      select(e.shiftKey ? extend(props.selection, next.uid, order) : single(next.uid));
      virtual.scrollToIndex(start + rows.indexOf(next));
    }
  };

  const onRowClick = (e: MouseEvent, m: MessageRecord) => {
    if (e.shiftKey) select(extend(props.selection, m.uid, order));
    else if (e.ctrlKey || e.metaKey) select(toggle(props.selection, m.uid));
    else select(single(m.uid));
  };

  const focused = props.selection.focus;
  return (
    <section className="message-list" aria-label={`Messages in ${props.title}`}>
      <header className="list-header">
        <h1>{props.title}</h1>
        <span className="muted small" data-testid="message-count">
          {info ? `${count.toLocaleString()} messages` : ''}
        </span>
      </header>
      <div
        ref={parent}
        className="list-scroll"
        role="listbox"
        aria-label={`Messages in ${props.title}`}
        aria-multiselectable="true"
        aria-activedescendant={focused !== null && order.includes(focused) ? `${listId}-${focused}` : undefined}
        tabIndex={0}
        onKeyDown={onKeyDown}
      >
        {count === 0 && info && <p className="empty">No messages here.</p>}
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const m = rows?.[item.index - start];
            const isSelected = m !== undefined && selected.has(m.uid);
            return (
              <div
                key={item.key}
                id={m ? `${listId}-${m.uid}` : undefined}
                role="option"
                aria-selected={isSelected}
                aria-setsize={count}
                aria-posinset={item.index + 1}
                aria-label={m ? rowLabel(m) : 'Loading'}
                className="row-slot"
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                draggable={m !== undefined}
                onMouseDown={(e) => {
                  // Shift-click selects a range, not text.
                  if (e.shiftKey) e.preventDefault();
                }}
                onClick={(e) => m && onRowClick(e, m)}
                onDragStart={(e) => {
                  if (!m) return;
                  const uids = isSelected ? props.selection.uids : [m.uid];
                  const label = uids.length === 1 ? m.subject || '(no subject)' : `${uids.length} messages`;
                  startMessageDrag(e, { accountId: props.accountId, path: props.path, uids: [...uids] }, label);
                }}
                onDragEnd={endMessageDrag}
              >
                {m ? (
                  <MessageRow m={m} selected={isSelected} focused={m.uid === focused} />
                ) : (
                  <div className="msg placeholder" aria-hidden="true" />
                )}
              </div>
            );
          })}
        </div>
      </div>
    </section>
  );
}

function rowLabel(m: MessageRecord): string {
  return `${m.seen === 0 ? 'Unread, ' : ''}${m.flagged === 1 ? 'Starred, ' : ''}${senderOf(m.from)}, ${m.subject || '(no subject)'}, ${listDate(m.date)}`;
}

function MessageRow({ m, selected, focused }: { m: MessageRecord; selected: boolean; focused: boolean }) {
  const unread = m.seen === 0;
  return (
    <div className={`msg${unread ? ' unread' : ''}${selected ? ' selected' : ''}${focused ? ' focused' : ''}`} data-uid={m.uid} aria-hidden="true">
      <div className="msg-top">
        <span className="msg-dot" aria-hidden="true" />
        <span className="msg-from">{senderOf(m.from)}</span>
        {m.hasAttachments && (
          <span className="msg-mark" title="Has attachments" role="img" aria-label="Has attachments">
            <Icon name="attachment" />
          </span>
        )}
        {m.flagged === 1 && (
          <span className="msg-mark star" title="Starred" role="img" aria-label="Starred">
            ★
          </span>
        )}
        <time className="msg-date" dateTime={new Date(m.date).toISOString()}>
          {listDate(m.date)}
        </time>
      </div>
      <div className="msg-subject">{m.subject || '(no subject)'}</div>
      <div className="msg-preview">{m.preview}</div>
    </div>
  );
}
