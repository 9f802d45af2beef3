import { useLiveQuery } from 'dexie-react-hooks';
import type { Operation } from '../../../../shared/contract';
import { useDb } from '../../db/db-context';
import { useOps } from '../../ops';
import { dismissNotice, useNotices } from './use-message-actions';
import './actions.css';

function describe(op: Operation): string {
  const n = op.uids.length;
  const what = n === 1 ? 'a message' : `${n.toLocaleString()} messages`;
  switch (op.kind) {
    case 'flags': {
      const add = (op.add ?? []).map((f) => f.toLowerCase());
      const remove = (op.remove ?? []).map((f) => f.toLowerCase());
      if (add.includes('\\seen')) return `mark ${what} as read`;
      if (remove.includes('\\seen')) return `mark ${what} as unread`;
      if (add.includes('\\flagged')) return `star ${what}`;
      if (remove.includes('\\flagged')) return `remove the star from ${what}`;
      return `change the flags of ${what}`;
    }
    case 'move':
      return `move ${what} to “${op.to}”`;
    case 'copy':
      return `copy ${what} to “${op.to}”`;
    case 'delete':
      return `delete ${what}`;
    case 'archive':
      return `archive ${what}`;
    case 'spam':
      return `mark ${what} as spam`;
  }
}

/**
 * Actions the server refused (their change was undone) and actions that could not start,
 * each until dismissed; and how many changes wait for the server while it is unreachable.
 */
export function OpsStatus() {
  const db = useDb();
  const ops = useOps();
  const notices = useNotices();
  const all = useLiveQuery(() => db.ops.toArray(), [db]);
  const failed = (all ?? []).filter((o) => o.state === 'failed');
  const waiting = (all ?? []).filter((o) => o.state !== 'failed' && o.error !== null);
  return (
    <div className="ops-status" data-testid="ops-status">
      {notices.map((n) => (
        <div key={`n${n.id}`} className="ops-notice" role="alert">
          <p>{n.message}</p>
          <button type="button" onClick={() => dismissNotice(n.id)}>
            Dismiss
          </button>
        </div>
      ))}
      {failed.map((o) => (
        <div key={o.opId} className="ops-notice" role="alert">
          <p>
            Couldn’t {describe(o.op)}: {o.error?.message ?? 'the server refused.'}
          </p>
          <button type="button" onClick={() => void ops.dismiss(o.opId)}>
            Dismiss
          </button>
        </div>
      ))}
      {waiting.length > 0 && (
        <p className="ops-waiting" role="status">
          {waiting.length === 1 ? '1 change is' : `${waiting.length} changes are`} waiting for the server and will be sent when it is reachable.
        </p>
      )}
    </div>
  );
}
