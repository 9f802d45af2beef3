import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Account } from '../../../../shared/contract';
import { PetrelError } from '../../../../shared/errors';
import type { MessageKey } from '../../db';
import { useDb } from '../../db/db-context';
import { useEngine } from '../../ipc/engine-context';
import { useEngineEvent } from '../../ipc/use-engine-event';
import { newDraftKey, type ComposerContent } from '../../outbox';
import { addNotice } from '../actions/use-message-actions';
import { Composer, type ComposerProps } from './Composer';
import { newMessageBody, type RespondKind } from './respond';
import { respondContent } from './respond-loader';
import { UndoToasts } from './UndoToasts';
import './compose.css';

export interface ComposeApi {
  /**
   * Opens a composer: empty, or with content (a draft, a message taken back from the outbox,
   * later a reply). `key` reopens a draft kept on this device under that key.
   */
  open(initial?: Partial<ComposerContent>, key?: string): void;
  /**
   * Reply, reply all, forward (inline or as attachment) to a cached message: gathers its body
   * (and attachments) first, then opens the composer. Problems are shown as notices.
   */
  respond(kind: RespondKind, key: MessageKey): Promise<void>;
  /** Whether there is an account to send from. */
  readonly canCompose: boolean;
}

const ComposeContext = createContext<ComposeApi | null>(null);

export function useCompose(): ComposeApi {
  const api = useContext(ComposeContext);
  if (!api) throw new Error('useCompose outside ComposeProvider');
  return api;
}

interface OpenComposer {
  key: string;
  initial: ComposerContent;
  focus?: ComposerProps['initialFocus'];
}

export function emptyContent(accounts: readonly Account[]): ComposerContent | null {
  const account = accounts[0];
  const identity = account?.identities[0];
  if (!account || !identity) return null;
  return { accountId: account.id, identityId: identity.id, to: '', cc: '', bcc: '', subject: '', text: '', html: null, attachments: [] };
}

/** A new message: empty but for the identity's signature. */
function newMessage(accounts: readonly Account[]): ComposerContent | null {
  const base = emptyContent(accounts);
  if (!base) return null;
  const signature = accounts[0]?.identities[0]?.signature ?? '';
  return { ...base, ...newMessageBody(signature) };
}

/**
 * Holds the open composers (docked at the bottom of the window) and the "Undo" notices of
 * messages in their undo window. Put it around the app, inside the Engine and Outbox providers.
 */
export function ComposeProvider(props: { children: ReactNode; timings?: ComposerProps['timings'] }) {
  const accounts = useEngineEvent('accounts.changed', {})?.accounts;
  const db = useDb();
  const engine = useEngine();
  const [open, setOpen] = useState<OpenComposer[]>([]);
  /** A reply or forward being prepared (its body or attachments on their way). */
  const [preparing, setPreparing] = useState<string | null>(null);

  const openComposer = useCallback(
    (initial?: Partial<ComposerContent>, key?: string, focus?: ComposerProps['initialFocus']) => {
      const base = initial ? emptyContent(accounts ?? []) : newMessage(accounts ?? []);
      if (!base) return;
      // A draft whose account is gone is sent from the first account instead.
      const known = accounts?.some((a) => a.id === initial?.accountId && a.identities.some((i) => i.id === initial?.identityId));
      const content: ComposerContent = {
        ...base,
        ...initial,
        ...(known ? {} : { accountId: base.accountId, identityId: base.identityId }),
      };
      const k = key ?? newDraftKey();
      setOpen((list) => (list.some((c) => c.key === k) ? list : [...list, { key: k, initial: content, ...(focus ? { focus } : {}) }]));
    },
    [accounts],
  );

  const accountsRef = useRef(accounts);
  accountsRef.current = accounts;
  const respond = useCallback(
    async (kind: RespondKind, key: MessageKey) => {
      const what = kind === 'reply' || kind === 'replyAll' ? 'reply' : 'forward';
      setPreparing(`Preparing the ${what}…`);
      try {
        const { unquoted, ...content } = await respondContent(kind, key, { db, engine, accounts: accountsRef.current ?? [] });
        if (unquoted) addNotice('The original message could not be loaded (offline?), so the reply does not quote it.');
        // A reply is written at the top of the text; a forward first needs a recipient.
        openComposer(content, undefined, what === 'reply' ? 'body' : 'to');
      } catch (e) {
        addNotice(`Could not ${what}: ${e instanceof PetrelError ? e.message : 'the original message could not be read.'}`);
      } finally {
        setPreparing(null);
      }
    },
    [db, engine, openComposer],
  );

  const api = useMemo<ComposeApi>(
    () => ({ open: openComposer, respond, canCompose: (accounts?.length ?? 0) > 0 }),
    [openComposer, respond, accounts],
  );

  return (
    <ComposeContext.Provider value={api}>
      {props.children}
      {open.length > 0 && accounts && (
        <div className="composer-dock">
          {open.map((c) => (
            <Composer
              key={c.key}
              draftKey={c.key}
              initial={c.initial}
              initialFocus={c.focus}
              accounts={accounts}
              timings={props.timings}
              onClose={() => setOpen((list) => list.filter((x) => x.key !== c.key))}
            />
          ))}
        </div>
      )}
      {preparing && (
        <p className="compose-preparing" role="status">
          {preparing}
        </p>
      )}
      <UndoToasts onUndo={(content) => openComposer(content)} />
    </ComposeContext.Provider>
  );
}

/** "New message", for the sidebar or a toolbar. */
export function ComposeButton(props: { className?: string }) {
  const compose = useCompose();
  return (
    <button type="button" className={props.className ?? 'button compose-button'} disabled={!compose.canCompose} onClick={() => compose.open()}>
      New message
    </button>
  );
}
