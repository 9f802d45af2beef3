import { useLiveQuery } from 'dexie-react-hooks';
import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { foldersOf, rowKey, type MessageRecord } from '../../db';
import { useDb } from '../../db/db-context';
import { displayName } from '../folders/folder-tree';
import { listDate, senderOf } from '../messages/format';
import { fullDate } from './format';

/**
 * A conversation in the reader: a feed (ARIA `feed`, named "Conversation") of one article per
 * message, oldest first. The open message is expanded; the others show sender, date and the
 * first words, and expand (their body loads as the reader's does) by click or Enter on their
 * heading button. A message from another folder than the open one says which (your replies
 * in "Sent").
 */
export function Conversation(props: {
  open: MessageRecord;
  messages: readonly MessageRecord[];
  toolbar?: ReactNode;
  renderMessage: (m: MessageRecord) => ReactNode;
}) {
  const { open, messages } = props;
  const db = useDb();
  const openKey = rowKey(open);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set([openKey]));
  const folders = useLiveQuery(() => foldersOf(db, open.accountId), [db, open.accountId]);
  const folderName = useMemo(() => {
    const names = new Map((folders ?? []).map((f) => [f.path, displayName(f)]));
    return (path: string) => names.get(path) ?? path;
  }, [folders]);
  const openArticle = useRef<HTMLElement>(null);

  // The open message is where the person looks: scroll the feed to it (not the page).
  useEffect(() => {
    openArticle.current?.scrollIntoView?.({ block: 'nearest' });
  }, []);

  const toggle = (key: string) =>
    setExpanded((s) => {
      const next = new Set(s);
      if (!next.delete(key)) next.add(key);
      return next;
    });

  const subject = open.subject || '(no subject)';
  return (
    <section className="reader-pane conversation-pane" aria-label={`Message: ${subject}`}>
      <header className="reader-header conversation-header">
        {props.toolbar}
        <h1 className="reader-subject">{subject}</h1>
        <p className="muted small conversation-count">{messages.length.toLocaleString()} messages in this conversation</p>
      </header>
      <div className="conversation" role="feed" aria-label="Conversation" aria-busy="false">
        {messages.map((m, i) => {
          const key = rowKey(m);
          const isOpen = key === openKey;
          const isExpanded = expanded.has(key);
          const sender = senderOf(m.from);
          const folder = m.path !== open.path ? folderName(m.path) : null;
          return (
            <article
              key={key}
              ref={isOpen ? openArticle : undefined}
              className={`conversation-item${isExpanded ? ' expanded' : ''}${isOpen ? ' open' : ''}${m.seen === 0 ? ' unread' : ''}`}
              aria-label={`${sender}, ${fullDate(m.date)}`}
              aria-posinset={i + 1}
              aria-setsize={messages.length}
              aria-current={isOpen ? 'true' : undefined}
              data-folder={m.path}
            >
              <button type="button" className="conversation-item-head" aria-expanded={isExpanded} onClick={() => toggle(key)}>
                <span className="conversation-from">{sender}</span>
                {folder && <span className="conversation-folder">{folder}</span>}
                <time className="conversation-date" dateTime={Number.isNaN(m.date) ? undefined : new Date(m.date).toISOString()} title={fullDate(m.date)}>
                  {listDate(m.date)}
                </time>
                {!isExpanded && <span className="conversation-preview">{m.preview}</span>}
              </button>
              {isExpanded && props.renderMessage(m)}
            </article>
          );
        })}
      </div>
    </section>
  );
}
