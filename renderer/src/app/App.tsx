import { useCallback, useEffect, useRef, useState } from 'react';
import type { Account } from '../../../shared/contract';
import { allFolders } from '../db';
import { useDb } from '../db/db-context';
import { markReadOnOpen, type Targets } from '../features/actions/actions';
import { MessageToolbar, type PickerMode } from '../features/actions/MessageToolbar';
import { OpsStatus } from '../features/actions/OpsStatus';
import { markOpenedRead, useMessageActions } from '../features/actions/use-message-actions';
import { AccountList } from '../features/accounts/AccountList';
import { FolderTree, type FolderSelection } from '../features/folders/FolderTree';
import { ComposeButton, OutboxButton } from '../features/compose';
import { MessageList } from '../features/messages/MessageList';
import { EMPTY_SELECTION, openUid, single, type Selection } from '../features/messages/selection';
import { useOps } from '../ops';
import { Reader } from '../features/reader/Reader';
import { SearchBox, SearchResults, useSearch } from '../features/search';
import { ConnectionBanner, ConnectionStatus } from '../features/status/ConnectionStatus';
import { Welcome } from '../features/welcome/Welcome';
import { useEngineEvent } from '../ipc/use-engine-event';
import { useSync } from './sync-context';

export function App() {
  const db = useDb();
  const sync = useSync();
  const accounts = useEngineEvent('accounts.changed', {})?.accounts;
  const ops = useOps();
  const search = useSearch();
  const [selected, setSelected] = useState<FolderSelection | null>(null);
  const [selection, setSelection] = useState<Selection>(EMPTY_SELECTION);
  const [picker, setPicker] = useState<PickerMode>(null);

  // An account removed (here or while this window was closed) takes its cached mail with it.
  useEffect(() => {
    if (!accounts) return;
    const live = new Set(accounts.map((a) => a.id));
    void allFolders(db).then((folders) => {
      for (const id of new Set(folders.map((f) => f.accountId))) if (!live.has(id)) void sync.removeAccount(id);
    });
    if (selected && !live.has(selected.accountId)) setSelected(null);
  }, [accounts, db, sync, selected]);

  const current = selected ?? defaultSelection(accounts);
  const account = accounts?.find((a) => a.id === current?.accountId);
  const folderOf = useRef<FolderSelection | null>(null);
  folderOf.current = current;

  // After the selection left the folder (archived, deleted, moved...), the next message is selected.
  const onRemoved = useCallback((next: number | null, targets: Targets) => {
    const f = folderOf.current;
    if (!f || f.accountId !== targets.accountId || f.path !== targets.path) return;
    setSelection((s) => (s.uids.some((u) => targets.uids.includes(u)) ? (next === null ? EMPTY_SELECTION : single(next)) : s));
  }, []);
  const actions = useMessageActions(onRemoved);
  const open = current && account ? openUid(selection) : null;
  const targets: Targets | null = current ? { accountId: current.accountId, path: current.path, uids: selection.uids } : null;

  // Opening a message marks it read (the `petrel.markReadOnOpen` setting, 'on' by default).
  const openAccount = current?.accountId;
  const openPath = current?.path;
  useEffect(() => {
    if (open === null || !openAccount || !openPath || !markReadOnOpen()) return;
    const timer = setTimeout(() => void markOpenedRead(db, ops, { accountId: openAccount, path: openPath, uids: [open] }), 0);
    return () => clearTimeout(timer);
  }, [db, ops, open, openAccount, openPath]);

  const toolbar =
    targets && targets.uids.length > 0 ? (
      <MessageToolbar
        accountId={targets.accountId}
        path={targets.path}
        uids={targets.uids}
        onAction={(a) => void actions.perform(a, targets)}
        onMove={(to, copy) => void actions.moveTo(targets, to, copy)}
        picker={picker}
        onPickerChange={setPicker}
      />
    ) : null;

  return (
    <div className={`app${current ? ' app-mail' : ''}`}>
      <aside className="sidebar" aria-label="Mailboxes">
        <div className="brand">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M2 14c4-1 7-4 10-9 1 3 3 5 6 6-2 0-4 1-5 3 3 0 6 1 9 3-6 1-13 0-20-3z" fill="currentColor" />
          </svg>
          <span>Petrel</span>
        </div>
        <ComposeButton />
        <SearchBox value={search.query} onChange={search.setQuery} onClear={search.clear} />
        <AccountList
          renderFolders={(a) => (
            <FolderTree
              accountId={a.id}
              selected={current}
              onSelect={(s) => {
                setSelected(s);
                setSelection(EMPTY_SELECTION);
                setPicker(null);
              }}
              onDropMessages={(t, to, copy) => void actions.moveTo(t, to, copy)}
            />
          )}
        />
        <div className="sidebar-fill" />
        <OutboxButton />
        <ConnectionStatus />
      </aside>
      <main className="main">
        <ConnectionBanner />
        <OpsStatus />
        {current && account ? (
          <div className="panes">
            {search.active ? (
              <SearchResults
                search={search}
                selectedKey={open !== null ? [current.accountId, current.path, open] : null}
                accountLabel={(id) => accounts?.find((a) => a.id === id)?.label}
                onOpen={(key) => {
                  setSelected({ accountId: key[0], path: key[1] });
                  setSelection(single(key[2]));
                  setPicker(null);
                }}
              />
            ) : (
            <MessageList
              key={`${current.accountId}/${current.path}`}
              accountId={current.accountId}
              path={current.path}
              title={`${current.path === 'INBOX' ? 'Inbox' : current.path} — ${account.label}`}
              selection={selection}
              onSelectionChange={(s) => {
                setSelection(s);
                setPicker(null);
              }}
              onAction={(a) => targets && void actions.perform(a, targets)}
              onOpenMove={() => setPicker('move')}
            />
            )}
            {open !== null ? (
              <section className="reader" aria-label="Reader">
                <Reader messageKey={[current.accountId, current.path, open]} toolbar={toolbar} />
              </section>
            ) : selection.uids.length > 1 ? (
              <section className="reader" aria-label="Reader">
                <div className="selection-pane">
                  <h2>{selection.uids.length.toLocaleString()} messages selected</h2>
                  {toolbar}
                </div>
              </section>
            ) : (
              <section className="reader reader-empty" aria-label="Reader">
                <p className="muted">Select a message to read it.</p>
              </section>
            )}
          </div>
        ) : (
          <Welcome />
        )}
      </main>
    </div>
  );
}

function defaultSelection(accounts: readonly Account[] | undefined): FolderSelection | null {
  const first = accounts?.[0];
  return first ? { accountId: first.id, path: 'INBOX' } : null;
}
