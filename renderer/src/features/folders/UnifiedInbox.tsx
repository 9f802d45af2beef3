import { useLiveQuery } from 'dexie-react-hooks';
import { inboxUnread } from '../../db';
import { useDb } from '../../db/db-context';
import { Icon } from '../../components/Icon';

/**
 * The unified inbox in the sidebar, above the accounts: every account's INBOX in one list,
 * with their unread messages counted together (from the folders' maintained counts).
 */
export function UnifiedInbox(props: { selected: boolean; onSelect: () => void }) {
  const db = useDb();
  const unread = useLiveQuery(() => inboxUnread(db), [db])?.total ?? 0;
  return (
    <nav className="unified" aria-label="All accounts">
      <button
        type="button"
        className={`folder unified-inbox${props.selected ? ' active' : ''}`}
        aria-current={props.selected ? 'page' : undefined}
        aria-label={`All inboxes${unread > 0 ? `, ${unread.toLocaleString()} unread` : ''}`}
        aria-keyshortcuts="g i"
        onClick={props.onSelect}
        data-testid="unified-inbox"
      >
        <Icon name="inbox" className="folder-icon" />
        <span className="folder-name">All inboxes</span>
        {unread > 0 && (
          <span className="badge" aria-hidden="true">
            {unread.toLocaleString()}
          </span>
        )}
      </button>
    </nav>
  );
}
