import { useEffect, useState } from 'react';
import { useOutbox, useOutboxEntries, type ComposerContent } from '../../outbox';

/**
 * "Sending … Undo" for every message in its undo window. Undo takes the message back (nothing
 * has been sent) and reopens it in a composer.
 */
export function UndoToasts(props: { onUndo: (content: ComposerContent) => void }) {
  const { runner } = useOutbox();
  const waiting = useOutboxEntries()?.filter((e) => e.state === 'waiting') ?? [];
  const [, setTick] = useState(0);
  const any = waiting.length > 0;
  const now = Date.now();

  // Re-render while a countdown runs.
  useEffect(() => {
    if (!any) return;
    const t = setInterval(() => setTick((n) => n + 1), 250);
    return () => clearInterval(t);
  }, [any]);

  return (
    <div className="toasts" role="status" aria-live="polite">
      {waiting.map((e) => {
        const left = Math.max(0, Math.ceil((e.sendAt - now) / 1000));
        const subject = e.summary.subject.trim() || '(no subject)';
        return (
          <div key={e.id} className="toast" data-testid="undo-toast">
            <span className="toast-text">
              Sending “{subject}”{left > 0 ? ` in ${left} s` : '…'}
            </span>
            <button
              type="button"
              className="link-button"
              aria-label={`Undo sending “${subject}”`}
              onClick={() =>
                void runner.undo(e.id).then((content) => {
                  if (content) props.onUndo(content);
                })
              }
            >
              Undo
            </button>
            <button type="button" className="link-button" aria-label={`Send “${subject}” now`} onClick={() => void runner.sendNow(e.id)}>
              Send now
            </button>
          </div>
        );
      })}
    </div>
  );
}
