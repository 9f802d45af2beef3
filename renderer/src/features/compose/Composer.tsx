import { useCallback, useEffect, useId, useRef, useState, type DragEvent } from 'react';
import { MAX_ATTACHMENTS_BYTES, type Account, type DraftRef } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import { useEngine } from '../../ipc/engine-context';
import {
  hasContent,
  parseAddresses,
  removeLocalDraft,
  saveLocalDraft,
  toComposeInput,
  undoSeconds,
  useOutbox,
  type ComposerAttachment,
  type ComposerContent,
} from '../../outbox';
import { AddressInput } from './AddressInput';
import { formatSize, readAttachment } from './files';
import { RichTextEditor, type EditorValue } from './RichTextEditor';
import { signatureHtml } from './respond';

export interface ComposerProps {
  /** Where this composer's content is kept on this device while it is open. */
  draftKey: string;
  initial: ComposerContent;
  accounts: readonly Account[];
  /** The composer is done (sent, saved and closed, or discarded). */
  onClose: () => void;
  /** After Send put the message in the outbox. */
  onQueued?: (entryId: string) => void;
  /** Delays (tests shorten them). */
  timings?: { localMs?: number; serverMs?: number };
  /** Where the caret starts: the text (a reply) or To (a forward). */
  initialFocus?: 'body' | 'to';
}

type Field = 'to' | 'cc' | 'bcc';
const FIELD_LABEL: Record<Field, string> = { to: 'To', cc: 'Cc', bcc: 'Bcc' };

const identityKey = (accountId: string, identityId: string) => `${accountId}/${identityId}`;

function errorText(e: unknown): string {
  if (e instanceof PetrelError) return e.message;
  return 'Something went wrong. Your message is still here.';
}

/**
 * Writing a message. The content is kept on this device on every pause (so nothing is lost
 * if the app stops) and saved to the account's Drafts folder a few seconds after typing stops
 * and on close. Send builds the message (once, in the engine) and puts it in the outbox, where
 * the undo window starts; the composer closes.
 */
export function Composer(props: ComposerProps) {
  const engine = useEngine();
  const { db, runner } = useOutbox();
  const id = useId();
  const localMs = props.timings?.localMs ?? 500;
  const serverMs = props.timings?.serverMs ?? 3000;

  const [content, setContent] = useState<ComposerContent>(props.initial);
  const [showCopies, setShowCopies] = useState(props.initial.cc.trim() !== '' || props.initial.bcc.trim() !== '');
  const [invalid, setInvalid] = useState<Partial<Record<Field, string[]>>>({});
  const [error, setError] = useState<string | null>(null);
  const [confirmDiscard, setConfirmDiscard] = useState(false);
  const [busy, setBusy] = useState<'sending' | 'closing' | null>(null);
  const [dragging, setDragging] = useState(false);

  // The server copy of this draft. Kept outside `content` so that recording it does not
  // count as an edit (which would save again).
  const draftRef = useRef<DraftRef | undefined>(props.initial.draftRef);
  const latest = useRef(content);
  latest.current = content;
  /** Edits not yet in a server draft. */
  const dirty = useRef(false);
  const saving = useRef<Promise<void>>(Promise.resolve());
  const finished = useRef(false);
  const localTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const serverTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  const withRef = useCallback((c: ComposerContent): ComposerContent => {
    const ref = draftRef.current;
    return ref ? { ...c, draftRef: ref } : { ...c, draftRef: undefined };
  }, []);

  const saveLocal = useCallback(async () => {
    const c = latest.current;
    if (finished.current) return;
    if (hasContent(c)) await saveLocalDraft(db, props.draftKey, withRef(c));
  }, [db, props.draftKey, withRef]);

  /** Saves to the Drafts folder (one save at a time); throws when it could not. */
  const saveServer = useCallback((): Promise<void> => {
    const run = async () => {
      if (!dirty.current || !hasContent(latest.current)) return;
      dirty.current = false;
      const c = latest.current;
      const { input } = toComposeInput(c);
      const previous = draftRef.current;
      const sameAccount = previous?.accountId === c.accountId;
      try {
        const saved = await engine.call('drafts.save', {
          message: input,
          ...(previous && sameAccount ? { replaces: previous } : {}),
        });
        draftRef.current = { accountId: saved.accountId, path: saved.path, uidValidity: saved.uidValidity, uid: saved.uid };
        if (previous && !sameAccount) void engine.call('drafts.remove', { ref: previous }).catch(() => undefined);
        if (!finished.current) await saveLocalDraft(db, props.draftKey, withRef(latest.current));
      } catch (e) {
        dirty.current = true;
        throw e;
      }
    };
    const next = saving.current.then(run, run);
    saving.current = next.catch(() => undefined);
    return next;
  }, [db, engine, props.draftKey, withRef]);

  const root = useRef<HTMLElement>(null);
  const initialFocus = useRef(props.initialFocus);
  useEffect(() => {
    const where = initialFocus.current;
    if (!where) return;
    root.current?.querySelector<HTMLElement>(where === 'body' ? '[contenteditable="true"]' : `#${CSS.escape(`${id}-to`)}`)?.focus();
  }, [id]);

  const stopTimers = () => {
    clearTimeout(localTimer.current);
    clearTimeout(serverTimer.current);
  };
  useEffect(() => stopTimers, []);

  const edit = (patch: Partial<ComposerContent>) => {
    setContent((c) => ({ ...c, ...patch }));
    dirty.current = true;
    stopTimers();
    localTimer.current = setTimeout(() => void saveLocal().catch(() => undefined), localMs);
    serverTimer.current = setTimeout(() => void saveServer().catch(() => undefined), serverMs);
  };

  const checkField = (field: Field, value: string) => {
    const bad = parseAddresses(value).invalid;
    setInvalid((v) => ({ ...v, [field]: bad }));
  };

  const editRef = useRef(edit);
  editRef.current = edit;
  const onEditor = useCallback((value: EditorValue) => editRef.current({ text: value.text, html: value.html }), []);

  const identities = props.accounts.flatMap((a) => a.identities.map((i) => ({ account: a, identity: i })));
  const ownAddresses = identities.map((x) => x.identity.email);
  const sender = identities.find((x) => x.account.id === content.accountId && x.identity.id === content.identityId);
  const signature = signatureHtml(sender?.identity.signature ?? '');

  const addFiles = async (files: FileList | File[]) => {
    setError(null);
    try {
      const added = await Promise.all(Array.from(files).map(readAttachment));
      const total = [...latest.current.attachments, ...added].reduce((n, a) => n + a.size, 0);
      if (total > MAX_ATTACHMENTS_BYTES) {
        setError(`Attachments can come to at most ${formatSize(MAX_ATTACHMENTS_BYTES)} per message; these would be ${formatSize(total)}.`);
        return;
      }
      edit({ attachments: [...latest.current.attachments, ...added] });
    } catch {
      setError('A file could not be read.');
    }
  };

  const removeAttachment = (a: ComposerAttachment) => edit({ attachments: latest.current.attachments.filter((x) => x.id !== a.id) });

  const send = async () => {
    const c = latest.current;
    const { problems } = toComposeInput(c);
    if (problems) {
      setInvalid(problems.invalid);
      setError(problems.noRecipients ? 'Add at least one recipient.' : 'Some addresses are not valid. Correct them to send.');
      return;
    }
    setBusy('sending');
    setError(null);
    stopTimers();
    // A draft save under way finishes first (for a while), so the outbox knows which draft to remove.
    await Promise.race([saving.current, new Promise((r) => setTimeout(r, 5000))]);
    try {
      const entry = await runner.send(withRef(c), { undoMs: undoSeconds() * 1000 });
      finished.current = true;
      await removeLocalDraft(db, props.draftKey).catch(() => undefined);
      props.onQueued?.(entry.id);
      props.onClose();
    } catch (e) {
      setBusy(null);
      setError(errorText(e));
    }
  };

  /** Saves (here and to Drafts) and closes; a draft the server did not take stays on this device. */
  const close = async () => {
    setBusy('closing');
    stopTimers();
    if (!hasContent(latest.current)) {
      finished.current = true;
      await removeLocalDraft(db, props.draftKey).catch(() => undefined);
      props.onClose();
      return;
    }
    await saveLocal().catch(() => undefined);
    try {
      await saveServer();
      finished.current = true;
      await removeLocalDraft(db, props.draftKey);
    } catch {
      // Offline or refused: it stays in "Drafts on this device" (OutboxView).
      finished.current = true;
    }
    props.onClose();
  };

  const discard = async () => {
    finished.current = true;
    stopTimers();
    await saving.current;
    await removeLocalDraft(db, props.draftKey).catch(() => undefined);
    const ref = draftRef.current;
    if (ref) void engine.call('drafts.remove', { ref }).catch(() => undefined);
    props.onClose();
  };

  const dropProps = {
    onDragOver: (e: DragEvent) => {
      if (!e.dataTransfer.types.includes('Files')) return;
      e.preventDefault();
      setDragging(true);
    },
    onDragLeave: () => setDragging(false),
    onDrop: (e: DragEvent) => {
      if (e.dataTransfer.files.length === 0) return;
      e.preventDefault();
      setDragging(false);
      void addFiles(e.dataTransfer.files);
    },
  };

  const totalSize = content.attachments.reduce((n, a) => n + a.size, 0);
  const title = content.subject.trim() || 'New message';

  return (
    <section ref={root} className={`composer${dragging ? ' composer-dragging' : ''}`} role="dialog" aria-labelledby={`${id}-title`} {...dropProps}>
      <header className="composer-header">
        <h2 id={`${id}-title`} className="composer-title">
          {title}
        </h2>
        <button type="button" className="icon-button" aria-label="Save and close" title="Save and close" onClick={() => void close()} disabled={busy !== null}>
          ×
        </button>
      </header>
      <form
        className="composer-form"
        onSubmit={(e) => {
          e.preventDefault();
          void send();
        }}
      >
        <div className="composer-row">
          <label htmlFor={`${id}-from`}>From</label>
          <select
            id={`${id}-from`}
            value={identityKey(content.accountId, content.identityId)}
            onChange={(e) => {
              const pick = identities.find((x) => identityKey(x.account.id, x.identity.id) === e.target.value);
              if (pick) edit({ accountId: pick.account.id, identityId: pick.identity.id });
            }}
          >
            {identities.map(({ account, identity }) => (
              <option key={identityKey(account.id, identity.id)} value={identityKey(account.id, identity.id)}>
                {identity.name ? `${identity.name} <${identity.email}>` : identity.email}
                {props.accounts.length > 1 ? ` — ${account.label}` : ''}
              </option>
            ))}
          </select>
        </div>
        {(['to', 'cc', 'bcc'] as const)
          .filter((f) => f === 'to' || showCopies)
          .map((field) => {
            const bad = invalid[field] ?? [];
            return (
              <div className="composer-row" key={field}>
                <label htmlFor={`${id}-${field}`}>{FIELD_LABEL[field]}</label>
                <AddressInput
                  id={`${id}-${field}`}
                  label={FIELD_LABEL[field]}
                  value={content[field]}
                  placeholder={field === 'to' ? 'name@example.com, …' : ''}
                  invalid={bad.length > 0}
                  describedBy={bad.length > 0 ? `${id}-${field}-error` : undefined}
                  onChange={(value) => {
                    edit({ [field]: value });
                    if (bad.length > 0) checkField(field, value);
                  }}
                  onBlur={(value) => checkField(field, value)}
                  own={ownAddresses}
                />
                {field === 'to' && !showCopies && (
                  <button type="button" className="link-button small" onClick={() => setShowCopies(true)}>
                    Cc/Bcc
                  </button>
                )}
                {bad.length > 0 && (
                  <p id={`${id}-${field}-error`} className="field-error">
                    Not an address: {bad.join(', ')}
                  </p>
                )}
              </div>
            );
          })}
        <div className="composer-row">
          <label htmlFor={`${id}-subject`}>Subject</label>
          <input id={`${id}-subject`} type="text" value={content.subject} onChange={(e) => edit({ subject: e.target.value })} />
        </div>
        <RichTextEditor initial={{ text: props.initial.text, html: props.initial.html }} onChange={onEditor} signature={signature} />
        {content.attachments.length > 0 && (
          <ul className="attachments" aria-label="Attachments">
            {content.attachments.map((a) => (
              <li key={a.id} className="attachment">
                <span className="attachment-name">{a.filename}</span>
                <span className="muted small">{formatSize(a.size)}</span>
                <button type="button" className="icon-button" aria-label={`Remove ${a.filename}`} onClick={() => removeAttachment(a)}>
                  ×
                </button>
              </li>
            ))}
            <li className="muted small attachments-total">Total {formatSize(totalSize)}</li>
          </ul>
        )}
        {error && (
          <p className="composer-error" role="alert">
            {error}
          </p>
        )}
        <div className="composer-actions">
          <button type="submit" className="button" disabled={busy !== null}>
            {busy === 'sending' ? 'Sending…' : 'Send'}
          </button>
          <label className="button button-secondary attach-button">
            Attach files
            <input
              type="file"
              multiple
              className="visually-hidden"
              aria-label="Attach files"
              onChange={(e) => {
                const files = e.target.files;
                if (files && files.length > 0) void addFiles(Array.from(files));
                e.target.value = '';
              }}
            />
          </label>
          <span className="composer-fill" />
          {confirmDiscard ? (
            <span className="composer-confirm" role="group" aria-label="Discard this message?">
              <span className="small">Discard this message? It cannot be recovered.</span>
              <button type="button" className="link-button danger" onClick={() => void discard()}>
                Discard it
              </button>
              <button type="button" className="link-button" onClick={() => setConfirmDiscard(false)}>
                Keep it
              </button>
            </span>
          ) : (
            <button
              type="button"
              className="link-button"
              onClick={() => (hasContent(latest.current) ? setConfirmDiscard(true) : void discard())}
              disabled={busy !== null}
            >
              Discard
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
