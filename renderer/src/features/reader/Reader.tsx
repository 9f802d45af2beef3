import { useLiveQuery } from 'dexie-react-hooks';
import { useCallback, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { Address, AttachmentMeta } from '../../../../shared/contract';
import { conversationOf, message, messageBody, putBody, trashAndJunk, type BodyRecord, type MessageKey, type MessageRecord } from '../../db';
import { useDb } from '../../db/db-context';
import { useEngine } from '../../ipc/engine-context';
import { AttachmentList } from './Attachments';
import { Conversation } from './Conversation';
import { formatAddress, fullDate } from './format';
import { MessageFrame } from './MessageFrame';
import { PlainTextBody } from './PlainTextBody';
import { allowSender, isSenderAllowed, subscribeAllowlist } from './remote-allowlist';
import { RemoteContentBar } from './RemoteContentBar';
import { sanitizeMessageHtml, type SanitizedHtml } from './sanitize';
import './reader.css';

/** contentId -> local blob:/data:image URL of the message's inline parts. */
export type CidUrlResolver = (body: BodyRecord) => ReadonlyMap<string, string>;

export interface ReaderProps {
  messageKey: MessageKey;
  /**
   * Resolves `cid:` images. MessageBody carries no part contents yet, so the default
   * resolves none (they show as missing). Pass a stable function: a new one re-sanitizes.
   */
  resolveCidUrls?: CidUrlResolver;
  /** The message actions, shown at the top of the header (App passes them). */
  toolbar?: ReactNode;
}

const NO_CID_URLS: ReadonlyMap<string, string> = new Map();
const resolveNoCids: CidUrlResolver = () => NO_CID_URLS;

type Tagged<T> = { key: string; value: T };

type FetchState =
  | { key: string; status: 'loading' }
  | { key: string; status: 'done'; body: BodyRecord }
  | { key: string; status: 'error'; error: string };

const NO_REMOTE: ReadonlyMap<string, string> = new Map();

/**
 * Once remote content is allowed, the engine fetches the message's remote images and
 * they are shown as data: URLs; the renderer itself never touches the network.
 */
function useRemoteImages(
  key: string,
  html: string | null,
  allowRemote: boolean,
  cidUrls: ReadonlyMap<string, string>,
): ReadonlyMap<string, string> {
  const engine = useEngine();
  const [loaded, setLoaded] = useState<{ key: string; images: ReadonlyMap<string, string> } | null>(null);
  useEffect(() => {
    if (!allowRemote || html === null) return;
    const urls = sanitizeMessageHtml(html, { allowRemote: false, cidUrls }).remoteImageUrls.slice(0, 100);
    if (urls.length === 0) return;
    const ac = new AbortController();
    engine.call('remote.images', { urls }, { signal: ac.signal }).then(
      ({ images }) => {
        const map = new Map<string, string>();
        for (const img of images) if ('dataUrl' in img) map.set(img.url, img.dataUrl);
        setLoaded({ key, images: map });
      },
      () => undefined,
    );
    return () => ac.abort();
  }, [engine, key, html, allowRemote, cidUrls]);
  return loaded?.key === key ? loaded.images : NO_REMOTE;
}

function useSenderAllowed(address: string | null): boolean {
  return useSyncExternalStore(subscribeAllowlist, () => (address ? isSenderAllowed(address) : false));
}

/**
 * The reader pane: a message's header and body, or, when the message belongs to a
 * conversation of several, the conversation (Conversation.tsx) with this message expanded.
 * The body comes from the local cache or, on first open, from the engine (then cached). HTML
 * is sanitized and shown in a sandboxed frame with remote images blocked until the person
 * allows them; plain text is rendered as text. Fills its container: give it a height (it is
 * a flex column).
 */
export function Reader({ messageKey, resolveCidUrls = resolveNoCids, toolbar }: ReaderProps) {
  const [accountId, path, uid] = messageKey;
  const key = JSON.stringify([accountId, path, uid]);
  const db = useDb();

  // Tagged with their key: while a new key's query runs, the previous result must not show.
  const headerResult = useLiveQuery(
    async (): Promise<Tagged<MessageRecord | null>> => ({ key, value: (await message(db, [accountId, path, uid])) ?? null }),
    [db, key],
  );
  const conversationResult = useLiveQuery(
    async (): Promise<Tagged<MessageRecord[]>> => ({
      key,
      value: await conversationOf(db, [accountId, path, uid], { exclude: await trashAndJunk(db, [accountId]) }),
    }),
    [db, key],
  );
  const header = headerResult?.key === key ? headerResult.value : undefined;
  const conversation = conversationResult?.key === key ? conversationResult.value : undefined;

  if (header === undefined || (header !== null && conversation === undefined)) {
    return (
      <section className="reader-pane" aria-label="Message" aria-busy="true">
        <p className="reader-status" role="status">
          Loading message…
        </p>
      </section>
    );
  }
  if (header === null) {
    return (
      <section className="reader-pane" aria-label="Message">
        <p className="reader-status">This message is no longer here. It may have been moved or deleted.</p>
      </section>
    );
  }
  if (conversation && conversation.length > 1) {
    return (
      <Conversation
        // A new open message starts with only itself expanded.
        key={key}
        open={header}
        messages={conversation}
        toolbar={toolbar}
        renderMessage={(m) => <MessageView header={m} resolveCidUrls={resolveCidUrls} embedded />}
      />
    );
  }
  return <MessageView header={header} resolveCidUrls={resolveCidUrls} toolbar={toolbar} />;
}

/**
 * One message: header block and body. `embedded`: inside a conversation's article (no
 * subject heading, no toolbar, the body at its own height).
 */
export function MessageView({
  header,
  resolveCidUrls = resolveNoCids,
  toolbar,
  embedded = false,
}: {
  header: MessageRecord;
  resolveCidUrls?: CidUrlResolver;
  toolbar?: ReactNode;
  embedded?: boolean;
}) {
  const { accountId, path, uid } = header;
  const key = JSON.stringify([accountId, path, uid]);
  const db = useDb();
  const engine = useEngine();
  const cachedResult = useLiveQuery(
    async (): Promise<Tagged<BodyRecord | null>> => ({ key, value: (await messageBody(db, [accountId, path, uid])) ?? null }),
    [db, key],
  );
  const cachedRaw = cachedResult?.key === key ? cachedResult.value : undefined;
  // A body cached for an older UIDVALIDITY belongs to another message.
  const cached = cachedRaw && cachedRaw.uidValidity !== header.uidValidity ? null : cachedRaw;

  const [fetchState, setFetchState] = useState<FetchState | null>(null);
  const [attempt, setAttempt] = useState(0);
  const uidValidity = header.uidValidity;
  const needFetch = cached === null;

  useEffect(() => {
    if (!needFetch) return;
    const abort = new AbortController();
    setFetchState({ key, status: 'loading' });
    engine
      .call('messages.body', { accountId, path, uidValidity, uid }, { signal: abort.signal })
      .then(async (body) => {
        if (abort.signal.aborted) return;
        setFetchState({ key, status: 'done', body });
        // Caching is best effort: the message may have gone meanwhile; showing it still works.
        await putBody(db, body).catch((e: unknown) => console.warn('could not cache a message body', e));
      })
      .catch((e: unknown) => {
        if (abort.signal.aborted) return;
        setFetchState({ key, status: 'error', error: e instanceof Error ? e.message : String(e) });
      });
    return () => abort.abort();
    // `key` stands for accountId, path and uid; `attempt` is "Try again".
  }, [needFetch, key, uidValidity, attempt, engine, db]);

  const fetched = fetchState?.key === key ? fetchState : null;
  const body = cached ?? (fetched?.status === 'done' && fetched.body.uidValidity === uidValidity ? fetched.body : null);

  const sender = header.from[0]?.address || null;
  const senderAllowed = useSenderAllowed(sender);
  const [loadedOnce, setLoadedOnce] = useState<string | null>(null);
  const allowRemote = senderAllowed || loadedOnce === key;

  const cidUrls = useMemo(() => (body ? resolveCidUrls(body) : NO_CID_URLS), [body, resolveCidUrls]);
  const html = body?.html ?? null;
  const remoteImages = useRemoteImages(key, html, allowRemote, cidUrls);
  const sanitized = useMemo((): SanitizedHtml | Error | null => {
    if (html === null) return null;
    try {
      return sanitizeMessageHtml(html, { allowRemote, cidUrls, remoteImages });
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  }, [html, allowRemote, cidUrls, remoteImages]);

  const retry = useCallback(() => setAttempt((a) => a + 1), []);

  let content: ReactNode;
  if (body) {
    if (sanitized instanceof Error) {
      content = (
        <p className="reader-status reader-error" role="alert">
          This message cannot be shown safely: {sanitized.message}
        </p>
      );
    } else if (sanitized) {
      content = <MessageFrame html={sanitized.html} />;
    } else if (body.text !== null && body.text.trim() !== '') {
      content = <PlainTextBody text={body.text} />;
    } else {
      content = <p className="reader-status muted">This message has no text.</p>;
    }
  } else if (fetched?.status === 'error') {
    content = (
      <div className="reader-status reader-error" role="alert">
        <p>Couldn’t load this message: {fetched.error}</p>
        <button type="button" onClick={retry}>
          Try again
        </button>
      </div>
    );
  } else {
    content = (
      <p className="reader-status" role="status">
        Loading message…
      </p>
    );
  }

  const busy = !body && fetched?.status !== 'error';
  const parts = (
    <>
      <MessageHeaderBlock header={header} attachments={body ? visibleAttachments(body) : []} toolbar={toolbar} embedded={embedded} />
      {sanitized && !(sanitized instanceof Error) && !allowRemote && (
        <RemoteContentBar
          blocked={sanitized.blockedRemote}
          trackers={sanitized.trackers}
          sender={sender}
          onLoadOnce={() => setLoadedOnce(key)}
          onAlwaysForSender={(address) => {
            // Load now even if the preference could not be saved.
            setLoadedOnce(key);
            allowSender(address);
          }}
        />
      )}
      <div className="reader-body">{content}</div>
    </>
  );
  return embedded ? (
    <div className="conversation-message" aria-busy={busy}>
      {parts}
    </div>
  ) : (
    <section className="reader-pane" aria-label={`Message: ${header.subject || '(no subject)'}`} aria-busy={busy}>
      {parts}
    </section>
  );
}

/** Inline parts with a Content-ID are pictures of an HTML body, not attachments to list. */
function visibleAttachments(body: BodyRecord): AttachmentMeta[] {
  return body.attachments.filter((a) => !(body.html !== null && a.inline && a.contentId));
}

function MessageHeaderBlock({
  header,
  attachments,
  toolbar,
  embedded,
}: {
  header: MessageRecord;
  attachments: AttachmentMeta[];
  toolbar?: ReactNode;
  embedded: boolean;
}) {
  const from = header.from[0];
  const date = new Date(header.date);
  return (
    <header className={embedded ? 'reader-header conversation-meta' : 'reader-header'}>
      {toolbar}
      {!embedded && <h1 className="reader-subject">{header.subject || '(no subject)'}</h1>}
      <ResponseMarks flags={header.flags} />
      <dl className="reader-meta">
        <dt>From</dt>
        <dd className="reader-from">
          {from ? (
            <>
              {from.name.trim() && <span className="reader-from-name">{from.name.trim()} </span>}
              <span className="reader-from-address">{from.name.trim() ? `<${from.address}>` : from.address}</span>
            </>
          ) : (
            '(no sender)'
          )}
        </dd>
        {header.to.length > 0 && (
          <>
            <dt>To</dt>
            <dd>
              <AddressList addresses={header.to} label="recipients" />
            </dd>
          </>
        )}
        {header.cc.length > 0 && (
          <>
            <dt>Cc</dt>
            <dd>
              <AddressList addresses={header.cc} label="copy recipients" />
            </dd>
          </>
        )}
        <dt>Date</dt>
        <dd>
          <time dateTime={Number.isNaN(date.getTime()) ? undefined : date.toISOString()}>{fullDate(header.date)}</time>
        </dd>
      </dl>
      {attachments.length > 0 && (
        <AttachmentList
          // A new message starts with no save states (and cancels the old one's downloads).
          key={`${header.accountId}\u0000${header.path}\u0000${header.uidValidity}\u0000${header.uid}`}
          owner={{ accountId: header.accountId, path: header.path, uidValidity: header.uidValidity, uid: header.uid }}
          attachments={attachments}
        />
      )}
    </header>
  );
}

/** "You replied" / "You forwarded", from \Answered and $Forwarded. */
function ResponseMarks({ flags }: { flags: readonly string[] }) {
  const set = new Set(flags.map((f) => f.toLowerCase()));
  const marks = [set.has('\\answered') && 'You replied', set.has('$forwarded') && 'You forwarded'].filter((x): x is string => !!x);
  if (marks.length === 0) return null;
  return (
    <p className="reader-marks muted small" data-testid="response-marks">
      {marks.join(' · ')}
    </p>
  );
}

const FEW = 10;

function AddressList({ addresses, label }: { addresses: readonly Address[]; label: string }) {
  const [all, setAll] = useState(false);
  const shown = all ? addresses : addresses.slice(0, FEW);
  const rest = addresses.length - shown.length;
  return (
    <>
      {shown.map(formatAddress).join(', ')}
      {rest > 0 && (
        <>
          {' '}
          <button type="button" className="reader-link-button" onClick={() => setAll(true)} aria-label={`Show all ${addresses.length.toLocaleString()} ${label}`}>
            and {rest.toLocaleString()} more
          </button>
        </>
      )}
    </>
  );
}
