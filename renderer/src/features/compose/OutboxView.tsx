import { useState } from 'react';
import type { ErrorData } from '../../../../shared/errors';
import { Dialog } from '../../components/Dialog';
import { useConnectionState } from '../../ipc/engine-context';
import {
  recipientsOf,
  removeLocalDraft,
  useLocalDrafts,
  useOutbox,
  useOutboxEntries,
  type OutboxEntry,
} from '../../outbox';
import { useCompose } from './ComposeProvider';
import { formatSize } from './files';
import { messageCount } from '../messages/format';

function serverSays(error: ErrorData | undefined): string | null {
  const server = error?.details?.server;
  if (typeof server !== 'string' || !server) return null;
  return error?.message.includes(server) ? null : server;
}

const time = (ms: number) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });

function stateText(e: OutboxEntry, connected: boolean): string {
  switch (e.state) {
    case 'waiting':
      return 'Waiting to send (undo is still possible)';
    case 'queued':
      return connected ? 'Queued' : 'Waiting for the connection to Petrel’s engine';
    case 'sending':
      return 'Sending…';
    case 'filing':
      return 'Sent. Saving the copy in Sent did not work yet';
    case 'sent':
      return 'Sent, but not to every recipient';
    case 'failed':
      return e.retryable ? `Not sent yet. Trying again${e.nextAttemptAt ? ` at ${time(e.nextAttemptAt)}` : ''}` : 'Not sent';
    case 'uncertain':
      return 'May have been sent';
  }
}

/**
 * The outbox: messages on their way, and those that need the person (with the server's own
 * words), plus drafts kept only on this device (not yet saved to the server).
 */
export function OutboxView(props: { onComposerOpened?: () => void } = {}) {
  const { runner } = useOutbox();
  const compose = useCompose();
  const entries = useOutboxEntries();
  const drafts = useLocalDrafts();
  const connected = useConnectionState().status === 'connected';
  const { db } = useOutbox();

  const edit = async (id: string) => {
    const content = await runner.edit(id);
    if (content) {
      compose.open(content);
      props.onComposerOpened?.();
    }
  };

  if (!entries || !drafts) return null;
  return (
    <div className="outbox">
      <section aria-labelledby="outbox-messages">
        <h3 id="outbox-messages" className="outbox-heading">
          Messages
        </h3>
        {entries.length === 0 ? (
          <p className="muted">Nothing waiting to be sent.</p>
        ) : (
          <ul className="outbox-list">
            {entries.map((e) => {
              const subject = e.summary.subject.trim() || '(no subject)';
              const server = serverSays(e.error);
              return (
                <li key={e.id} className={`outbox-item outbox-${e.state}`} data-testid="outbox-entry" data-state={e.state}>
                  <div className="outbox-line">
                    <strong className="outbox-subject">{subject}</strong>
                    <span className="muted small">To {recipientsOf(e).join(', ') || '—'}</span>
                    {e.size !== undefined && <span className="muted small">{formatSize(e.size)}</span>}
                  </div>
                  <p className="outbox-state">{stateText(e, connected)}</p>
                  {e.error && e.state !== 'sent' && e.state !== 'uncertain' && (
                    <p className={e.state === 'filing' ? 'muted small' : 'outbox-error'}>
                      {e.error.message}
                      {server && <span className="mono"> Server said: {server}</span>}
                    </p>
                  )}
                  {e.state === 'uncertain' && (
                    <p className="outbox-question">
                      {e.error?.message ?? 'The connection broke right after the message went out, so it may have been sent.'} If you
                      send it again, the recipients may get it twice.
                    </p>
                  )}
                  {e.rejected && e.rejected.length > 0 && (
                    <ul className="outbox-rejected" aria-label="Refused recipients">
                      {e.rejected.map((r) => (
                        <li key={r.address}>
                          {r.address}: <span className="mono">{r.response}</span>
                        </li>
                      ))}
                    </ul>
                  )}
                  <div className="row outbox-actions">
                    {e.state === 'waiting' && (
                      <>
                        <button type="button" className="link-button" onClick={() => void edit(e.id)}>
                          Undo
                        </button>
                        <button type="button" className="link-button" onClick={() => void runner.sendNow(e.id)}>
                          Send now
                        </button>
                      </>
                    )}
                    {e.state === 'failed' && (
                      <button type="button" className="link-button" onClick={() => void runner.retry(e.id)}>
                        Retry
                      </button>
                    )}
                    {e.state === 'uncertain' && (
                      <>
                        <button type="button" className="link-button" onClick={() => void runner.sendAgain(e.id)}>
                          Send again
                        </button>
                        <button type="button" className="link-button" onClick={() => void runner.discard(e.id)}>
                          Don’t send
                        </button>
                      </>
                    )}
                    {(e.state === 'queued' || e.state === 'failed' || e.state === 'uncertain') && (
                      <button type="button" className="link-button" onClick={() => void edit(e.id)}>
                        Edit
                      </button>
                    )}
                    {(e.state === 'queued' || e.state === 'failed') && (
                      <button type="button" className="link-button danger" onClick={() => void runner.discard(e.id)}>
                        Delete
                      </button>
                    )}
                    {e.state === 'filing' && (
                      <>
                        <button type="button" className="link-button" onClick={() => void runner.retry(e.id)}>
                          Retry the copy
                        </button>
                        <button type="button" className="link-button" onClick={() => void runner.discard(e.id)}>
                          Don’t keep a copy
                        </button>
                      </>
                    )}
                    {e.state === 'sent' && (
                      <button type="button" className="link-button" onClick={() => void runner.discard(e.id)}>
                        Dismiss
                      </button>
                    )}
                  </div>
                </li>
              );
            })}
          </ul>
        )}
      </section>
      {drafts.length > 0 && (
        <section aria-labelledby="outbox-drafts">
          <h3 id="outbox-drafts" className="outbox-heading">
            Drafts on this device
          </h3>
          <ul className="outbox-list">
            {drafts.map((d) => {
              const subject = d.content.subject.trim() || '(no subject)';
              return (
                <li key={d.key} className="outbox-item" data-testid="local-draft">
                  <div className="outbox-line">
                    <strong className="outbox-subject">{subject}</strong>
                    <span className="muted small">Saved {time(d.updatedAt)}</span>
                  </div>
                  <div className="row outbox-actions">
                    <button
                      type="button"
                      className="link-button"
                      aria-label={`Open draft “${subject}”`}
                      onClick={() => {
                        compose.open(d.content, d.key);
                        // The composer docks under this modal: close it so the person can write.
                        props.onComposerOpened?.();
                      }}
                    >
                      Open
                    </button>
                    <button
                      type="button"
                      className="link-button danger"
                      aria-label={`Discard draft “${subject}”`}
                      onClick={() => void removeLocalDraft(db, d.key)}
                    >
                      Discard
                    </button>
                  </div>
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </div>
  );
}

/** The sidebar's "Outbox" entry: how many messages wait, and which need the person; opens the outbox. */
export function OutboxButton() {
  const entries = useOutboxEntries() ?? [];
  const drafts = useLocalDrafts() ?? [];
  const [open, setOpen] = useState(false);
  const attention = entries.filter((e) => e.state === 'failed' || e.state === 'uncertain' || e.state === 'sent').length;
  const count = entries.length;
  const label = `Outbox${count > 0 ? `, ${messageCount(count)}` : ''}${attention > 0 ? `, ${attention} need${attention === 1 ? 's' : ''} attention` : ''}`;
  if (count === 0 && drafts.length === 0 && !open) return null;
  return (
    <>
      <button type="button" className={`outbox-button${attention > 0 ? ' outbox-attention' : ''}`} aria-label={label} onClick={() => setOpen(true)}>
        <span>Outbox</span>
        {count > 0 && <span className="outbox-count" aria-hidden="true">{count}</span>}
      </button>
      {open && (
        <Dialog title="Outbox" onClose={() => setOpen(false)} wide>
          <OutboxView onComposerOpened={() => setOpen(false)} />
        </Dialog>
      )}
    </>
  );
}
