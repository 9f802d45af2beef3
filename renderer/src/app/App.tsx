import { useEffect, useState } from 'react';
import type { Account } from '../../../shared/contract';
import { allFolders } from '../db';
import { useDb } from '../db/db-context';
import { AccountList } from '../features/accounts/AccountList';
import { FolderTree, type FolderSelection } from '../features/folders/FolderTree';
import { ComposeButton, OutboxButton } from '../features/compose';
import { MessageList } from '../features/messages/MessageList';
import { Reader } from '../features/reader/Reader';
import { ConnectionBanner, ConnectionStatus } from '../features/status/ConnectionStatus';
import { Welcome } from '../features/welcome/Welcome';
import { useEngineEvent } from '../ipc/use-engine-event';
import { useSync } from './sync-context';

export function App() {
  const db = useDb();
  const sync = useSync();
  const accounts = useEngineEvent('accounts.changed', {})?.accounts;
  const [selected, setSelected] = useState<FolderSelection | null>(null);
  const [openUid, setOpenUid] = useState<number | null>(null);

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
        <AccountList
          renderFolders={(a) => (
            <FolderTree
              accountId={a.id}
              selected={current}
              onSelect={(s) => {
                setSelected(s);
                setOpenUid(null);
              }}
            />
          )}
        />
        <div className="sidebar-fill" />
        <OutboxButton />
        <ConnectionStatus />
      </aside>
      <main className="main">
        <ConnectionBanner />
        {current && account ? (
          <div className="panes">
            <MessageList
              key={`${current.accountId}/${current.path}`}
              accountId={current.accountId}
              path={current.path}
              title={`${current.path === 'INBOX' ? 'Inbox' : current.path} — ${account.label}`}
              selectedUid={openUid}
              onSelect={setOpenUid}
            />
            {openUid !== null ? (
              <section className="reader" aria-label="Reader">
                <Reader messageKey={[current.accountId, current.path, openUid]} />
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
