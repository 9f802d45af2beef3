import { AccountList } from '../features/accounts/AccountList';
import { ConnectionBanner, ConnectionStatus } from '../features/status/ConnectionStatus';
import { Welcome } from '../features/welcome/Welcome';

export function App() {
  return (
    <div className="app">
      <aside className="sidebar" aria-label="Mailboxes">
        <div className="brand">
          <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true">
            <path d="M2 14c4-1 7-4 10-9 1 3 3 5 6 6-2 0-4 1-5 3 3 0 6 1 9 3-6 1-13 0-20-3z" fill="currentColor" />
          </svg>
          <span>Petrel</span>
        </div>
        <AccountList />
        <div className="sidebar-fill" />
        <ConnectionStatus />
      </aside>
      <main className="main">
        <ConnectionBanner />
        <Welcome />
      </main>
    </div>
  );
}
