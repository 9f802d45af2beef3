import { useState, type ReactNode } from 'react';
import type { Account, AccountStatus } from '../../../../shared/contract';
import { useEngineEvent } from '../../ipc/use-engine-event';
import { AccountSettingsDialog } from './AccountSettingsDialog';
import { AddAccountDialog } from './AddAccountDialog';

const STATUS_TEXT: Record<AccountStatus['state'], string> = {
  connecting: 'Connecting',
  online: 'Connected',
  offline: 'Offline',
  error: 'Needs attention',
};

/** The accounts in the sidebar, each with its state and (below it) whatever `children` renders. */
export function AccountList(props: { renderFolders?: (account: Account) => ReactNode }) {
  const accounts = useEngineEvent('accounts.changed', {})?.accounts;
  const statuses = useEngineEvent('accounts.status', {})?.statuses;
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<Account | null>(null);

  return (
    <nav className="accounts" aria-label="Accounts">
      {accounts?.length === 0 && <p className="muted small">No accounts yet.</p>}
      <ul className="account-list">
        {accounts?.map((a) => {
          const status = statuses?.find((s) => s.accountId === a.id);
          return (
            <li key={a.id} className="account" data-testid={`account-${a.email}`}>
              <div className="account-row">
                <span className="account-color" style={{ background: a.color }} aria-hidden="true" />
                <span className="account-label" title={a.email}>
                  {a.label}
                </span>
                {status && (
                  <span
                    className={`account-state state-${status.state}`}
                    role="img"
                    aria-label={STATUS_TEXT[status.state]}
                    title={status.error ? status.error.message : STATUS_TEXT[status.state]}
                  />
                )}
                <button
                  type="button"
                  className="icon-button small"
                  aria-label={`Settings for ${a.email}`}
                  onClick={() => setEditing(a)}
                >
                  ⋯
                </button>
              </div>
              {status?.state === 'error' && status.error && (
                <p className="account-error" role="alert">
                  {status.error.message}
                </p>
              )}
              {props.renderFolders?.(a)}
            </li>
          );
        })}
      </ul>
      <button type="button" className="button button-secondary add-account" onClick={() => setAdding(true)}>
        + Add account
      </button>
      {adding && <AddAccountDialog onClose={() => setAdding(false)} onAdded={() => setAdding(false)} />}
      {editing && (
        <AccountSettingsDialog
          account={accounts?.find((a) => a.id === editing.id) ?? editing}
          accounts={accounts}
          onClose={() => setEditing(null)}
        />
      )}
    </nav>
  );
}
