import { useVirtualizer } from '@tanstack/react-virtual';
import { useLiveQuery } from 'dexie-react-hooks';
import { useRef } from 'react';
import { folder as folderQuery, folderMessages, type MessageRecord } from '../../db';
import { useDb } from '../../db/db-context';
import { Icon } from '../../components/Icon';
import { listDate, senderOf } from './format';

const ROW_HEIGHT = 74;
const PAGE = 100;

/**
 * A folder's messages, newest first, virtualized: only the rows on screen are in the DOM
 * and only their page is read from IndexedDB, so 100k messages scroll like 100.
 */
export function MessageList(props: {
  accountId: string;
  path: string;
  title: string;
  selectedUid: number | null;
  onSelect: (uid: number) => void;
}) {
  const db = useDb();
  const parent = useRef<HTMLDivElement>(null);
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
        tabIndex={0}
        onKeyDown={(e) => {
          // j/k and the arrow keys move the selection, as in every mail client.
          const step = e.key === 'j' || e.key === 'ArrowDown' ? 1 : e.key === 'k' || e.key === 'ArrowUp' ? -1 : 0;
          if (step === 0 || !rows || rows.length === 0) return;
          e.preventDefault();
          const at = rows.findIndex((r) => r.uid === props.selectedUid);
          const next = rows[Math.min(rows.length - 1, Math.max(0, at === -1 ? 0 : at + step))];
          if (next) {
            props.onSelect(next.uid);
            virtual.scrollToIndex(start + rows.indexOf(next));
          }
        }}
      >
        {count === 0 && info && <p className="empty">No messages here.</p>}
        <div style={{ height: virtual.getTotalSize(), position: 'relative' }}>
          {items.map((item) => {
            const m = rows?.[item.index - start];
            return (
              <div
                key={item.key}
                role="option"
                aria-selected={m !== undefined && m.uid === props.selectedUid}
                aria-setsize={count}
                aria-posinset={item.index + 1}
                aria-label={m ? rowLabel(m) : 'Loading'}
                className="row-slot"
                style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT }}
                onClick={() => m && props.onSelect(m.uid)}
              >
                {m ? <MessageRow m={m} selected={m.uid === props.selectedUid} /> : <div className="msg placeholder" aria-hidden="true" />}
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

function MessageRow({ m, selected }: { m: MessageRecord; selected: boolean }) {
  const unread = m.seen === 0;
  return (
    <div className={`msg${unread ? ' unread' : ''}${selected ? ' selected' : ''}`} data-uid={m.uid} aria-hidden="true">
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
