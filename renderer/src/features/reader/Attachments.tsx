import { useEffect, useRef, useState } from 'react';
import { MAX_ATTACHMENT_DOWNLOAD_BYTES, type AttachmentMeta } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import { useEngine } from '../../ipc/engine-context';
import { formatSize } from './format';
import { base64ToBytes, saveBytes } from './save-file';

/** Which message the attachments belong to. */
export interface AttachmentOwner {
  accountId: string;
  path: string;
  uidValidity: string;
  uid: number;
}

type SaveState = { status: 'saving' } | { status: 'saved' } | { status: 'error'; message: string };

const displayName = (a: AttachmentMeta) => a.filename.trim() || 'Unnamed attachment';

function errorText(e: unknown): string {
  if (e instanceof PetrelError) return e.message;
  return 'Something went wrong while saving it.';
}

/**
 * The message's attachments, each with "Save" (and "Save all" for several). The bytes are
 * fetched from the server on demand (messages.attachment) and handed to the browser's
 * downloads; nothing is kept in IndexedDB.
 */
export function AttachmentList({ owner, attachments }: { owner: AttachmentOwner; attachments: AttachmentMeta[] }) {
  const engine = useEngine();
  const [states, setStates] = useState<ReadonlyMap<string, SaveState>>(new Map());
  const [batch, setBatch] = useState<{ done: number; total: number } | null>(null);
  const abort = useRef<AbortController | null>(null);

  // Leaving the message cancels what is still being fetched.
  useEffect(() => {
    const ac = new AbortController();
    abort.current = ac;
    return () => ac.abort();
  }, []);

  const setState = (partId: string, s: SaveState) => setStates((m) => new Map(m).set(partId, s));

  const save = async (a: AttachmentMeta): Promise<void> => {
    const signal = abort.current?.signal;
    if (a.size > MAX_ATTACHMENT_DOWNLOAD_BYTES) {
      setState(a.partId, {
        status: 'error',
        message: `It is ${formatSize(a.size)}; Petrel can save attachments up to ${formatSize(MAX_ATTACHMENT_DOWNLOAD_BYTES)} from here.`,
      });
      return;
    }
    setState(a.partId, { status: 'saving' });
    try {
      const file = await engine.call('messages.attachment', { ...owner, partId: a.partId }, signal ? { signal } : {});
      if (signal?.aborted) return;
      saveBytes(base64ToBytes(file.contentBase64), a.filename.trim() || file.filename || 'attachment');
      setState(a.partId, { status: 'saved' });
    } catch (e) {
      if (signal?.aborted) return;
      setState(a.partId, { status: 'error', message: errorText(e) });
    }
  };

  const saveAll = async () => {
    setBatch({ done: 0, total: attachments.length });
    // One after another: one IMAP connection at a time, and the browser sees the files in order.
    for (const [i, a] of attachments.entries()) {
      if (abort.current?.signal.aborted) return;
      await save(a);
      setBatch({ done: i + 1, total: attachments.length });
    }
    setBatch(null);
  };

  const label = attachments.length === 1 ? '1 attachment' : `${attachments.length.toLocaleString()} attachments`;
  const busy = [...states.values()].some((s) => s.status === 'saving') || batch !== null;
  return (
    <div className="reader-attachments-block">
      <ul className="reader-attachments" aria-label={label}>
        {attachments.map((a) => {
          const name = displayName(a);
          const size = formatSize(a.size);
          const type = a.contentType || 'unknown type';
          const state = states.get(a.partId);
          return (
            <li key={a.partId} className="reader-attachment" aria-label={`${name}, ${size}, ${type}`}>
              <span className="reader-attachment-name" title={name}>
                {name}
              </span>
              <span className="reader-attachment-line">
                <span className="muted small">
                  {size} · {type}
                </span>
                <button
                  type="button"
                  className="link-button small"
                  aria-label={`Save ${name}`}
                  disabled={state?.status === 'saving'}
                  onClick={() => void save(a)}
                >
                  {state?.status === 'saving' ? 'Saving…' : 'Save'}
                </button>
              </span>
              {state?.status === 'saved' && (
                <span className="small muted" role="status">
                  Saved to your downloads
                </span>
              )}
              {state?.status === 'error' && (
                <span className="small reader-attachment-error" role="alert">
                  Not saved: {state.message}
                </span>
              )}
            </li>
          );
        })}
      </ul>
      {attachments.length > 1 && (
        <div className="reader-attachments-actions">
          <button type="button" className="link-button small" disabled={busy} onClick={() => void saveAll()}>
            Save all
          </button>
          {batch && (
            <span className="muted small" role="status">
              Saving {Math.min(batch.done + 1, batch.total)} of {batch.total}…
            </span>
          )}
        </div>
      )}
    </div>
  );
}
