import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Account } from '../../../shared/contract';
import { allFolders } from '../db';
import { useDb } from '../db/db-context';
import { isRemoval, markReadOnOpen, targetRecords, unifiedNeighbour, type MessageAction, type Targets } from '../features/actions/actions';
import { MessageToolbar, type PickerMode } from '../features/actions/MessageToolbar';
import { OpsStatus } from '../features/actions/OpsStatus';
import { markOpenedRead, useMessageActions } from '../features/actions/use-message-actions';
import { AccountList } from '../features/accounts/AccountList';
import { FolderTree, type FolderSelection } from '../features/folders/FolderTree';
import { UnifiedInbox } from '../features/folders/UnifiedInbox';
import { ComposeButton, OutboxButton, useCompose } from '../features/compose';
import { InboxAnchorsAhead } from '../features/messages/anchors-ahead';
import { MessageList, type AccountMark, type ListSource } from '../features/messages/MessageList';
import type { RespondKind } from '../features/compose/respond';
import { EMPTY_SELECTION, openUid, single, type Selection } from '../features/messages/selection';
import { useOps } from '../ops';
import { Reader } from '../features/reader/Reader';
import { SearchBox, SearchResults, useSearch } from '../features/search';
import { SyncActivity } from '../features/status/SyncActivity';
import { ConnectionBanner, ConnectionStatus } from '../features/status/ConnectionStatus';
import { Welcome } from '../features/welcome/Welcome';
import { useEngineEvent } from '../ipc/use-engine-event';
import { ShortcutsDialog, useKeyboardLayer } from './keyboard';
import { useSync } from './sync-context';

/** What the list shows: a folder, or the unified inbox (every account's INBOX). */
type View = FolderSelection | 'unified';

export function App() {
  const db = useDb();
  const sync = useSync();
  const accounts = useEngineEvent('accounts.changed', {})?.accounts;
  const ops = useOps();
  const search = useSearch();
  const compose = useCompose();
  const [selected, setSelected] = useState<View | null>(null);
  const [selection, setSelection] = useState<Selection>(EMPTY_SELECTION);
  // In the unified inbox: the account's INBOX the selected messages are in.
  const [unifiedFolder, setUnifiedFolder] = useState<FolderSelection | null>(null);
  const [picker, setPicker] = useState<PickerMode>(null);
  const [help, setHelp] = useState(false);
  const reader = useRef<HTMLElement>(null);

  const goTo = useCallback((view: View) => {
    setSelected(view);
    setSelection(EMPTY_SELECTION);
    setUnifiedFolder(null);
    setPicker(null);
  }, []);

  // An account removed (here or while this window was closed) takes its cached mail with it.
  useEffect(() => {
    if (!accounts) return;
    const live = new Set(accounts.map((a) => a.id));
    void allFolders(db).then((folders) => {
      for (const id of new Set(folders.map((f) => f.accountId))) if (!live.has(id)) void sync.removeAccount(id);
    });
    if (selected && selected !== 'unified' && !live.has(selected.accountId)) setSelected(null);
    if (unifiedFolder && !live.has(unifiedFolder.accountId)) {
      setUnifiedFolder(null);
      setSelection(EMPTY_SELECTION);
    }
  }, [accounts, db, sync, selected, unifiedFolder]);

  const view = selected ?? defaultSelection(accounts);
  const unified = view === 'unified';
  // The folder the selection is in: the open folder, or in the unified inbox the selected row's INBOX.
  const current = unified ? unifiedFolder : view;
  const account = accounts?.find((a) => a.id === current?.accountId);
  const showList = unified ? (accounts?.length ?? 0) > 0 : account !== undefined;
  const accountMark = useMemo(() => {
    const marks = new Map((accounts ?? []).map((a): [string, AccountMark] => [a.id, { label: a.label, color: a.color }]));
    return (id: string) => marks.get(id);
  }, [accounts]);

  // "g i": the unified inbox with several accounts, else the one account's INBOX.
  const goInbox = useCallback(() => {
    if (!accounts || accounts.length === 0) return;
    goTo(accounts.length > 1 ? 'unified' : { accountId: accounts[0]!.id, path: 'INBOX' });
    // Back to the list, so j/k go on from there.
    setTimeout(() => document.querySelector<HTMLElement>('[data-shortcut-scope="list"]')?.focus(), 0);
  }, [accounts, goTo]);
  // "c": a new message, with focus in its first field, so the next keys are typed there.
  const composeNew = useCallback(() => {
    if (!compose.canCompose) return;
    compose.open();
    setTimeout(() => {
      const composers = document.querySelectorAll<HTMLElement>('.composer');
      composers[composers.length - 1]?.querySelector<HTMLElement>('input:not([type=hidden]), textarea, [contenteditable="true"]')?.focus();
    }, 0);
  }, [compose]);
  useKeyboardLayer({ compose: composeNew, goInbox, help: () => setHelp((h) => !h) });
  const folderOf = useRef<FolderSelection | null>(null);
  folderOf.current = current;
  const unifiedRef = useRef(unified);
  unifiedRef.current = unified;

  // After the selection left the folder (archived, deleted, moved...), the next message is selected.
  const onRemoved = useCallback((next: number | null, targets: Targets) => {
    const f = folderOf.current;
    // The unified inbox picks its own next row (below): selecting this folder's next, even for
    // a moment, would open it and mark it read.
    if (unifiedRef.current || !f || f.accountId !== targets.accountId || f.path !== targets.path) return;
    setSelection((s) => (s.uids.some((u) => targets.uids.includes(u)) ? (next === null ? EMPTY_SELECTION : single(next)) : s));
  }, []);
  const messageActions = useMessageActions(onRemoved);
  // In the unified inbox the next message after a removal is the next row of the unified list
  // (maybe another account's), found before the messages leave it.
  const actions = useMemo(() => {
    const thenUnifiedNext = async (t: Targets, run: () => Promise<void>) => {
      if (!unifiedRef.current) return run();
      const next = await unifiedNeighbour(db, await targetRecords(db, t));
      await run();
      const f = folderOf.current;
      if (!unifiedRef.current || !f || f.accountId !== t.accountId || f.path !== t.path) return;
      // Refused before it started (no Archive folder...): the messages are still there.
      if ((await targetRecords(db, t)).length > 0) return;
      setUnifiedFolder(next ? { accountId: next.accountId, path: next.path } : null);
      setSelection(next ? single(next.uid) : EMPTY_SELECTION);
    };
    return {
      perform: (a: MessageAction, t: Targets) =>
        isRemoval(a) ? thenUnifiedNext(t, () => messageActions.perform(a, t)) : messageActions.perform(a, t),
      moveTo: (t: Targets, to: string, copy: boolean) =>
        copy ? messageActions.moveTo(t, to, copy) : thenUnifiedNext(t, () => messageActions.moveTo(t, to, copy)),
    };
  }, [db, messageActions]);
  const open = current && account ? openUid(selection) : null;
  const targets: Targets | null = current ? { accountId: current.accountId, path: current.path, uids: selection.uids } : null;
  const respondTo =
    current && selection.uids.length === 1
      ? (kind: RespondKind) => void compose.respond(kind, [current.accountId, current.path, selection.uids[0]!])
      : undefined;

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
        onRespond={respondTo}
      />
    ) : null;

  return (
    <div className={`app${showList ? ' app-mail' : ''}`}>
      <aside className="sidebar" aria-label="Mailboxes">
        <div className="brand">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M2 14c4-1 7-4 10-9 1 3 3 5 6 6-2 0-4 1-5 3 3 0 6 1 9 3-6 1-13 0-20-3z" fill="currentColor" />
          </svg>
          <span>Petrel</span>
        </div>
        <ComposeButton />
        <SearchBox value={search.query} onChange={search.setQuery} onClear={search.clear} />
        {(accounts?.length ?? 0) > 1 && <UnifiedInbox selected={unified} onSelect={() => goTo('unified')} />}
        {(accounts?.length ?? 0) > 1 && <InboxAnchorsAhead />}
        <AccountList
          renderFolders={(a) => (
            <FolderTree
              accountId={a.id}
              selected={unified ? null : current}
              onSelect={goTo}
              onDropMessages={(t, to, copy) => void actions.moveTo(t, to, copy)}
            />
          )}
        />
        <div className="sidebar-fill" />
        <OutboxButton />
        <SyncActivity />
        <ConnectionStatus />
      </aside>
      <main className="main">
        <ConnectionBanner />
        <OpsStatus />
        {showList && view ? (
          <div className="panes">
            {search.active ? (
              <SearchResults
                search={search}
                selectedKey={open !== null && current ? [current.accountId, current.path, open] : null}
                accountLabel={(id) => accounts?.find((a) => a.id === id)?.label}
                onOpen={(key) => {
                  goTo({ accountId: key[0], path: key[1] });
                  setSelection(single(key[2]));
                }}
              />
            ) : (
            <MessageList
              key={unified ? 'unified' : `${view.accountId}/${view.path}`}
              source={listSource(view)}
              title={unified ? 'All inboxes' : `${view.path === 'INBOX' ? 'Inbox' : view.path} — ${account?.label ?? ''}`}
              selection={selection}
              selectionFolder={current}
              onSelectionChange={(s, folder) => {
                setSelection(s);
                if (unified) setUnifiedFolder(folder);
                setPicker(null);
              }}
              accountMark={unified ? accountMark : undefined}
              onAction={(a) => targets && void actions.perform(a, targets)}
              onOpenMove={() => setPicker('move')}
              onOpen={() => setTimeout(() => reader.current?.focus(), 0)}
              onRespond={respondTo}
            />
            )}
            {open !== null && current ? (
              <section className="reader" aria-label="Reader" tabIndex={-1} ref={reader}>
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
      {help && <ShortcutsDialog onClose={() => setHelp(false)} />}
    </div>
  );
}

function listSource(view: View): ListSource {
  return view === 'unified' ? { kind: 'unified' } : { kind: 'folder', accountId: view.accountId, path: view.path };
}

function defaultSelection(accounts: readonly Account[] | undefined): FolderSelection | null {
  const first = accounts?.[0];
  return first ? { accountId: first.id, path: 'INBOX' } : null;
}
