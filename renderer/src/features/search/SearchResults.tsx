import { useLiveQuery } from 'dexie-react-hooks';
import { useMemo, useRef, type ReactNode } from 'react';
import { Icon } from '../../components/Icon';
import { useDb } from '../../db/db-context';
import type { FolderRecord, MessageKey, MessageRecord } from '../../db/schema';
import { displayName } from '../folders/folder-tree';
import { listDate, senderOf } from '../messages/format';
import type { ServerScope } from './server-search';
import type { SearchView } from './use-search';
import './search.css';

const sameKey = (a: MessageKey | null, b: MessageKey | null) => !!a && !!b && a[0] === b[0] && a[1] === b[1] && a[2] === b[2];

/**
 * The results of a search, newest first, like a folder's message list: click (or Enter)
 * opens a message through `onOpen`; j/k and the arrow keys move through the results and
 * open them. Above the list: the count, how far indexing is, and what the server added.
 */
export function SearchResults(props: {
  search: SearchView & { loadMore: () => void; searchServer: (scope?: ServerScope) => void };
  selectedKey: MessageKey | null;
  onOpen: (key: MessageKey) => void;
  /** The account's name for "in Inbox — Work" (default: no account name). */
  accountLabel?: (accountId: string) => string | undefined;
}) {
  const { search } = props;
  const db = useDb();
  const list = useRef<HTMLDivElement>(null);
  const signature = search.keys.map((k) => k.join('\u0000')).join('\u0001');
  // Live rows: a flag changed elsewhere shows at once.
  const rows = useLiveQuery(() => db.messages.bulkGet(search.keys), [db, signature]);
  const folders = useLiveQuery(() => db.folders.toArray(), [db]);
  const folderNames = useMemo(() => {
    const m = new Map<string, string>();
    for (const f of folders ?? []) m.set(`${f.accountId}\u0000${f.path}`, displayName(f as FolderRecord));
    return m;
  }, [folders]);
  // With several accounts, each result says whose it is.
  const multiAccount = useMemo(() => new Set((folders ?? []).map((f) => f.accountId)).size > 1, [folders]);
  const where = (m: MessageRecord) => {
    const folder = folderNames.get(`${m.accountId}\u0000${m.path}`) ?? m.path;
    const account = multiAccount ? props.accountLabel?.(m.accountId) : undefined;
    return account ? `${folder} — ${account}` : folder;
  };
  const shown = (rows ?? []).filter((m): m is MessageRecord => m !== undefined);

  const move = (step: number) => {
    if (shown.length === 0) return;
    const at = shown.findIndex((m) => sameKey([m.accountId, m.path, m.uid], props.selectedKey));
    const next = shown[Math.min(shown.length - 1, Math.max(0, at === -1 ? 0 : at + step))];
    if (next) {
      props.onOpen([next.accountId, next.path, next.uid]);
      const id = `${next.accountId}/${next.path}/${next.uid}`;
      const row = [...(list.current?.querySelectorAll<HTMLElement>('[data-key]') ?? [])].find((el) => el.dataset.key === id);
      row?.scrollIntoView?.({ block: 'nearest' });
    }
  };

  const count = search.loading && search.keys.length === 0 ? 'Searching…' : countText(search.total, search.approximate);

  return (
    <section className="message-list search-results" aria-label="Search results">
      <header className="list-header">
        <h1>Search</h1>
        <span className="muted small" data-testid="search-count" aria-live="polite">
          {count}
        </span>
      </header>
      <div className="search-summary">
        {search.index.phase === 'indexing' && !search.index.restored && (
          <span className="search-hint" data-testid="search-indexing">
            Indexing your mail… {search.index.indexed.toLocaleString()} of {search.index.total.toLocaleString()}; more results may follow.
          </span>
        )}
        {search.index.phase === 'failed' && <span className="search-error">The search index could not be built: {search.index.error}</span>}
        {search.errors.map((e) => (
          <span key={e} className="search-hint" role="note">
            {e}
          </span>
        ))}
        {search.failure && <span className="search-error">Search failed: {search.failure}</span>}
        <ServerLine search={search} />
      </div>
      <div
        ref={list}
        className="search-list"
        role="listbox"
        aria-label="Search results"
        tabIndex={0}
        onKeyDown={(e) => {
          const step = e.key === 'j' || e.key === 'ArrowDown' ? 1 : e.key === 'k' || e.key === 'ArrowUp' ? -1 : 0;
          if (step === 0) return;
          e.preventDefault();
          move(step);
        }}
      >
        {!search.loading && search.total === 0 && <p className="empty">No messages match.</p>}
        {shown.map((m) => {
          const key: MessageKey = [m.accountId, m.path, m.uid];
          const selected = sameKey(key, props.selectedKey);
          const place = where(m);
          return (
            <div
              key={key.join('/')}
              data-key={key.join('/')}
              role="option"
              aria-selected={selected}
              aria-label={`${rowLabel(m)}, in ${place}`}
              onClick={() => props.onOpen(key)}
              onKeyDown={(e) => {
                if (e.key === 'Enter') props.onOpen(key);
              }}
            >
              <ResultRow m={m} selected={selected} where={place} />
            </div>
          );
        })}
        {search.hasMore && (
          <div className="search-more">
            <button type="button" className="link-button" onClick={props.search.loadMore}>
              Show more results
            </button>
          </div>
        )}
      </div>
    </section>
  );
}

function countText(total: number, approximate: boolean): string {
  if (total === 0) return 'No results';
  const n = total.toLocaleString();
  const noun = total === 1 ? 'result' : 'results';
  return approximate ? `Up to ${n} ${noun}` : `${n} ${noun}`;
}

function ServerLine({ search }: { search: SearchView & { searchServer: (scope?: ServerScope) => void } }) {
  const s = search.server;
  const parts: ReactNode[] = [];
  if (s.state === 'searching') {
    parts.push(
      <span key="searching" className="search-hint" data-testid="search-server">
        Searching {s.asked === 1 ? '1 folder' : `${s.asked} folders`} on the server…
      </span>,
    );
  } else if (s.state === 'failed') {
    parts.push(
      <span key="failed" className="search-error" data-testid="search-server">
        Could not search the server{s.message ? `: ${s.message}` : '.'}
      </span>,
    );
  } else if (s.state === 'done' && (search.serverOnly > 0 || search.serverMerged > 0 || s.failed > 0)) {
    const bits: string[] = [];
    if (search.serverMerged > 0) bits.push(`${search.serverMerged.toLocaleString()} of the results found by the server`);
    if (search.serverOnly > 0) bits.push(`${search.serverOnly.toLocaleString()} more on the server, not downloaded yet`);
    if (s.failed > 0) bits.push(`${s.failed} folder${s.failed === 1 ? '' : 's'} could not be searched`);
    parts.push(
      <span key="done" className="search-hint" data-testid="search-server">
        {bits.join('; ')}.
      </span>,
    );
  }
  if (search.active && !(s.scope === 'all' && (s.state === 'searching' || s.state === 'done'))) {
    parts.push(
      <button key="all" type="button" className="link-button" onClick={() => search.searchServer('all')}>
        Search message bodies on the server
      </button>,
    );
  }
  return <>{parts}</>;
}

function rowLabel(m: MessageRecord): string {
  return `${m.seen === 0 ? 'Unread, ' : ''}${m.flagged === 1 ? 'Starred, ' : ''}${senderOf(m.from)}, ${m.subject || '(no subject)'}, ${listDate(m.date)}`;
}

function ResultRow({ m, selected, where }: { m: MessageRecord; selected: boolean; where: string }) {
  const unread = m.seen === 0;
  return (
    <div className={`msg with-where${unread ? ' unread' : ''}${selected ? ' selected' : ''}`} aria-hidden="true">
      <div className="msg-top">
        <span className="msg-dot" aria-hidden="true" />
        <span className="msg-from">{senderOf(m.from)}</span>
        {m.hasAttachments && (
          <span className="msg-mark" title="Has attachments">
            <Icon name="attachment" />
          </span>
        )}
        {m.flagged === 1 && (
          <span className="msg-mark star" title="Starred">
            ★
          </span>
        )}
        <time className="msg-date" dateTime={new Date(m.date).toISOString()}>
          {listDate(m.date)}
        </time>
      </div>
      <div className="msg-subject">{m.subject || '(no subject)'}</div>
      <div className="msg-preview">{m.preview}</div>
      <div className="msg-where">{where}</div>
    </div>
  );
}
