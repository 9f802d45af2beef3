import { useVirtualizer } from '@tanstack/react-virtual';
import { useLiveQuery } from 'dexie-react-hooks';
import { memo, useEffect, useId, useRef, type KeyboardEvent, type MouseEvent } from 'react';
import { allFolders, folder as folderQuery, folderMessages, isInboxPath, rowKey, unifiedInbox, type MessageRecord } from '../../db';
import { ANCHOR_STEP, LONG_LIST } from '../../db/folder-anchors';
import { useDb } from '../../db/db-context';
import { Icon } from '../../components/Icon';
import type { MessageAction } from '../actions/actions';
import type { RespondKind } from '../compose/respond';
import { endMessageDrag, startMessageDrag } from '../actions/drag';
import type { FolderSelection } from '../folders/FolderTree';
import { listDate, messageCount, senderOf } from './format';
import { extend, single, toggle, type Selection } from './selection';
import { useAnchorsAhead } from './anchors-ahead';
import { useConversationCounts } from './use-conversation-counts';

const ROW_HEIGHT = 74;
/** A folder without anchors has them read this long after it opens (after its first rows). */
const ANCHORS_FIRST_MS = 150;
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

/** What the list shows: one folder, or every account's INBOX (the unified inbox). */
export type ListSource = { kind: 'folder'; accountId: string; path: string } | { kind: 'unified' };

/** How a row of the unified inbox says whose it is. */
export interface AccountMark {
  label: string;
  color: string;
}

/** Answering keys, for one selected message. */
const RESPOND_KEYS: Record<string, RespondKind> = { r: 'reply', a: 'replyAll', f: 'forward' };

/**
 * A folder's messages, newest first, virtualized: only the rows on screen are in the DOM
 * and only their page is read from IndexedDB, so 100k messages scroll like 100.
 *
 * Selection: click selects one, Ctrl/Cmd-click adds or removes one, Shift-click selects a
 * range from the anchor; j/k or the arrows move (with Shift: extend), Escape keeps only the
 * focused one. Keys act on the selection: u read/unread, s star, e archive, # or Delete
 * delete, ! spam, v move to a folder; o or Enter read it; with one message selected, r reply,
 * a reply all, f forward (app/shortcuts.ts lists them all and forwards them here when focus is
 * elsewhere). Rows drag (the selection, or the row itself when it is not selected) onto folders.
 *
 * The unified inbox (`source.kind === 'unified'`) lists every account's INBOX with an account
 * mark per row. A selection there holds messages of one account (`selectionFolder`): actions
 * and moves work per account, as in a folder; selecting in another account starts anew.
 */
export function MessageList(props: {
  source: ListSource;
  title: string;
  selection: Selection;
  /** The folder the selected uids belong to (in a folder list: that folder). */
  selectionFolder: FolderSelection | null;
  onSelectionChange: (selection: Selection, folder: FolderSelection) => void;
  /** The unified inbox's account marks. */
  accountMark?: (accountId: string) => AccountMark | undefined;
  onAction: (action: MessageAction) => void;
  /** `v`: open "Move to…". */
  onOpenMove: () => void;
  /** `o` or Enter: read the focused message (the reader takes focus). */
  onOpen?: () => void;
  /** `r`, `a`, `f`: reply, reply all, forward the one selected message. */
  onRespond?: (kind: RespondKind) => void;
}) {
  const db = useDb();
  const listId = useId();
  const parent = useRef<HTMLDivElement>(null);
  const { source } = props;
  const sourceKey = source.kind === 'unified' ? 'unified' : `${source.accountId}\u0000${source.path}`;
  const selected = new Set(props.selection.uids);
  const selAccount = props.selectionFolder?.accountId;
  const isSelected = (m: MessageRecord) => m.accountId === selAccount && selected.has(m.uid);
  // The folders listed (the unified inbox: every INBOX) and the list's length.
  const info = useLiveQuery(
    async () => {
      if (source.kind === 'folder') {
        const f = await folderQuery(db, source.accountId, source.path);
        return f ? { cachedTotal: f.cachedTotal, folders: [f] } : null;
      }
      // The unified inbox is as long as the INBOXes' cached lists together (folder rows, no scan).
      const inboxes = (await allFolders(db)).filter((f) => isInboxPath(f.path));
      return { cachedTotal: inboxes.reduce((n, f) => n + f.cachedTotal, 0), folders: inboxes };
    },
    // `sourceKey` stands for the source.
    [db, sourceKey],
  );
  const count = info?.cachedTotal ?? 0;
  // The unified inbox places every INBOX by its anchors (unified-inbox.ts); a folder list needs
  // them only when long (a walk from the top is quick otherwise). A folder without any has them
  // read soon after it opens: a jump a second later walked the index from the top (230 ms of a
  // 450 ms jump at 30k).
  const longFolders = (info?.folders ?? []).filter((f) => (source.kind === 'unified' ? f.cachedTotal > ANCHOR_STEP : f.cachedTotal >= LONG_LIST));
  useAnchorsAhead(db, sourceKey, longFolders, ANCHORS_FIRST_MS);
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
  // The window's rows, tagged with their folder and where they start: useLiveQuery hands back
  // the previous result until a new query answers, and rows of another window or folder must
  // never be shown (or selected) at these positions.
  const windowRows = useLiveQuery(
    async () => ({
      key: sourceKey,
      start,
      rows:
        source.kind === 'folder'
          ? await folderMessages(db, source.accountId, source.path, { offset: start, limit: end - start })
          : await unifiedInbox(db, { offset: start, limit: end - start }),
    }),
    [db, sourceKey, start, end],
  );
  const rows = windowRows && windowRows.start === start && windowRows.key === sourceKey ? windowRows.rows : undefined;
  const visible = rows?.slice(Math.max(0, first - start), last - start + 1) ?? [];
  const conversationCounts = useConversationCounts(visible);

  // Shift-ranges stay within the selection's account (uids are per folder).
  const orderOf = (accountId: string | undefined) => rows?.filter((r) => r.accountId === accountId).map((r) => r.uid) ?? [];
  const select = (next: Selection, m: MessageRecord) => props.onSelectionChange(next, { accountId: m.accountId, path: m.path });
  const sameFolder = (m: MessageRecord) => props.selectionFolder?.accountId === m.accountId && props.selectionFolder.path === m.path;

  // A Home/End whose row was not read yet: selected when it arrives.
  const pendingIndex = useRef<number | null>(null);
  useEffect(() => {
    const want = pendingIndex.current;
    const m = want !== null && want >= start ? rows?.[want - start] : undefined;
    if (!m) return;
    pendingIndex.current = null;
    props.onSelectionChange(single(m.uid), { accountId: m.accountId, path: m.path });
    // Runs when a new window of rows arrives; `props` is read at that moment.
  }, [rows, start]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const action = ACTION_KEYS[e.key];
    if (action) {
      e.preventDefault();
      if (props.selection.uids.length > 0) props.onAction(action);
      return;
    }
    const respond = RESPOND_KEYS[e.key];
    if (respond && props.onRespond) {
      e.preventDefault();
      if (props.selection.uids.length === 1) props.onRespond(respond);
      return;
    }
    if (e.key === 'v') {
      e.preventDefault();
      if (props.selection.uids.length > 0) props.onOpenMove();
      return;
    }
    if ((e.key === 'o' || e.key === 'Enter') && props.selection.focus !== null && props.selectionFolder) {
      e.preventDefault();
      props.onSelectionChange(single(props.selection.focus), props.selectionFolder);
      props.onOpen?.();
      return;
    }
    if (e.key === 'Escape' && props.selection.focus !== null && props.selection.uids.length > 1 && props.selectionFolder) {
      e.preventDefault();
      props.onSelectionChange(single(props.selection.focus), props.selectionFolder);
      return;
    }
    // Home and End go to the newest and the oldest message (selected once its row is read).
    if ((e.key === 'Home' || e.key === 'End') && count > 0) {
      e.preventDefault();
      const index = e.key === 'Home' ? 0 : count - 1;
      virtual.scrollToIndex(index);
      const m = rows?.[index - start];
      pendingIndex.current = m ? null : index;
      if (m) select(single(m.uid), m);
      return;
    }
    // j/k and the arrow keys move the selection, as in every mail client; Shift extends it.
    const down = e.key === 'j' || e.key === 'J' || e.key === 'ArrowDown';
    const up = e.key === 'k' || e.key === 'K' || e.key === 'ArrowUp';
    const step = down ? 1 : up ? -1 : 0;
    if (step === 0 || !rows || rows.length === 0) return;
    e.preventDefault();
    const at = rows.findIndex((r) => r.uid === props.selection.focus && r.accountId === selAccount);
    const next = rows[Math.min(rows.length - 1, Math.max(0, at === -1 ? 0 : at + step))];
    if (next) {
      select(e.shiftKey && sameFolder(next) ? extend(props.selection, next.uid, orderOf(next.accountId)) : single(next.uid), next);
      virtual.scrollToIndex(start + rows.indexOf(next));
    }
  };

  const onRowClick = (e: MouseEvent, m: MessageRecord) => {
    if (!sameFolder(m)) select(single(m.uid), m);
    else if (e.shiftKey) select(extend(props.selection, m.uid, orderOf(m.accountId)), m);
    else if (e.ctrlKey || e.metaKey) select(toggle(props.selection, m.uid), m);
    else select(single(m.uid), m);
  };

  const focused = props.selection.focus;
  const focusedRow = focused !== null ? rows?.find((r) => r.uid === focused && r.accountId === selAccount) : undefined;
  const domId = (m: MessageRecord) => `${listId}-${source.kind === 'unified' ? `${m.accountId}-` : ''}${m.uid}`;
  return (
    <section className="message-list" aria-label={`Messages in ${props.title}`}>
      <header className="list-header">
        <h1 title={props.title}>{props.title}</h1>
        <span className="muted small" data-testid="message-count">
          {info ? messageCount(count) : ''}
        </span>
      </header>
      <div
        ref={parent}
        className="list-scroll"
        role="listbox"
        aria-label={`Messages in ${props.title}`}
        aria-multiselectable="true"
        aria-activedescendant={focusedRow ? domId(focusedRow) : undefined}
        tabIndex={0}
        data-shortcut-scope="list"
        onKeyDown={onKeyDown}
      >
        {count === 0 && info && <p className="empty">No messages here.</p>}
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const m = rows?.[item.index - start];
            const rowSelected = m !== undefined && isSelected(m);
            const thread = m ? (conversationCounts?.get(rowKey(m)) ?? 1) : 1;
            const mark = m && props.accountMark ? props.accountMark(m.accountId) : undefined;
            return (
              <div
                key={item.key}
                id={m ? domId(m) : undefined}
                role="option"
                aria-selected={rowSelected}
                aria-setsize={count}
                aria-posinset={item.index + 1}
                aria-label={m ? rowLabel(m, thread, mark) : 'Loading'}
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
                  const uids = rowSelected ? props.selection.uids : [m.uid];
                  const label = uids.length === 1 ? m.subject || '(no subject)' : `${uids.length} messages`;
                  startMessageDrag(e, { accountId: m.accountId, path: m.path, uids: [...uids] }, label);
                }}
                onDragEnd={endMessageDrag}
              >
                {m ? (
                  <MessageRow m={m} selected={rowSelected} focused={m === focusedRow} thread={thread} mark={mark} />
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

const threadText = (n: number) => `${n.toLocaleString()} messages in conversation`;

/** Whether the message was answered / forwarded (\Answered, $Forwarded). */
export function responseMarks(flags: readonly string[]): { answered: boolean; forwarded: boolean } {
  let answered = false;
  let forwarded = false;
  for (const f of flags) {
    const l = f.toLowerCase();
    if (l === '\\answered') answered = true;
    else if (l === '$forwarded') forwarded = true;
  }
  return { answered, forwarded };
}

function rowLabel(m: MessageRecord, thread: number, mark: AccountMark | undefined): string {
  const { answered, forwarded } = responseMarks(m.flags);
  const base = `${m.seen === 0 ? 'Unread, ' : ''}${m.flagged === 1 ? 'Starred, ' : ''}${answered ? 'Answered, ' : ''}${forwarded ? 'Forwarded, ' : ''}${senderOf(m.from)}, ${m.subject || '(no subject)'}, ${listDate(m.date)}`;
  return `${base}${thread > 1 ? `, ${threadText(thread)}` : ''}${mark ? `, ${mark.label}` : ''}`;
}

interface RowProps {
  m: MessageRecord;
  selected: boolean;
  focused: boolean;
  thread: number;
  mark: AccountMark | undefined;
}

/**
 * Every query re-run (a sync batch, a flag change elsewhere) hands over new record objects for
 * the same messages: compare what the row shows, so unchanged rows are not rendered again.
 */
function sameRow(a: RowProps, b: RowProps): boolean {
  if (a.selected !== b.selected || a.focused !== b.focused || a.thread !== b.thread) return false;
  if (a.mark?.label !== b.mark?.label || a.mark?.color !== b.mark?.color) return false;
  const x = a.m;
  const y = b.m;
  return (
    x === y ||
    (x.uid === y.uid &&
      x.accountId === y.accountId &&
      x.path === y.path &&
      x.seen === y.seen &&
      x.flagged === y.flagged &&
      x.hasAttachments === y.hasAttachments &&
      x.date === y.date &&
      x.subject === y.subject &&
      x.preview === y.preview &&
      senderOf(x.from) === senderOf(y.from))
  );
}

const MessageRow = memo(function MessageRow(props: RowProps) {
  const { m, selected, focused, thread, mark } = props;
  const unread = m.seen === 0;
  const marks = responseMarks(m.flags);
  return (
    <div className={`msg${unread ? ' unread' : ''}${selected ? ' selected' : ''}${focused ? ' focused' : ''}`} data-uid={m.uid} aria-hidden="true">
      <div className="msg-top">
        <span className="msg-dot" aria-hidden="true" />
        {mark && <span className="msg-account" style={{ background: mark.color }} title={mark.label} />}
        <span className="msg-from">{senderOf(m.from)}</span>
        {thread > 1 && (
          <span className="msg-thread" title={threadText(thread)}>
            {thread.toLocaleString()}
          </span>
        )}
        {m.hasAttachments && (
          <span className="msg-mark" title="Has attachments" role="img" aria-label="Has attachments">
            <Icon name="attachment" />
          </span>
        )}
        {marks.answered && (
          <span className="msg-mark" title="Answered" role="img" aria-label="Answered">
            ↩
          </span>
        )}
        {marks.forwarded && (
          <span className="msg-mark" title="Forwarded" role="img" aria-label="Forwarded">
            ↪
          </span>
        )}
        {m.flagged === 1 && (
          <span className="msg-mark star" title="Starred" role="img" aria-label="Starred">
            ★
          </span>
        )}
        {mark && <span className="msg-account-label">{mark.label}</span>}
        <time className="msg-date" dateTime={new Date(m.date).toISOString()}>
          {listDate(m.date)}
        </time>
      </div>
      <div className="msg-subject">{m.subject || '(no subject)'}</div>
      <div className="msg-preview">{m.preview}</div>
    </div>
  );
}, sameRow);
