import 'fake-indexeddb/auto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BuiltMessage, ComposeInputIn, OutboxStatus, SubmitParamsIn, SubmitResult } from '../../../shared/contract';
import { PetrelError } from '../../../shared/errors';
import { OutboxRunner, type OutboxConnection, type OutboxConnectionState } from './runner';
import { OutboxDb } from './schema';
import type { ComposerContent, OutboxEntry } from './types';

const ACCOUNT = 'acct-alice';

/**
 * The engine as the outbox sees it, with the engine's real rules modelled: a journal per
 * Message-ID makes submit idempotent, 'submitting' without `resend` is uncertain unless the
 * message is in Sent. `smtpSends` counts messages that actually went out.
 */
class FakeEngine implements OutboxConnection {
  state: OutboxConnectionState = { status: 'connected' };
  readonly journal = new Map<string, 'submitting' | 'submitted' | 'filed'>();
  readonly inSent = new Set<string>();
  readonly smtpSends = new Map<string, number>();
  readonly submits: SubmitParamsIn[] = [];
  readonly statuses: string[] = [];
  readonly inFlight = new Map<string, Promise<SubmitResult>>();
  readonly builds: ComposeInputIn[] = [];
  buildFailure: PetrelError | undefined;
  /** Scripted answers for the next submits (instead of the model). */
  readonly script: ((p: SubmitParamsIn) => Promise<SubmitResult>)[] = [];
  /** Observations made while a submit runs. */
  onSubmit: (p: SubmitParamsIn) => Promise<void> = async () => undefined;
  private readonly listeners = new Set<(s: OutboxConnectionState) => void>();

  onState(listener: (s: OutboxConnectionState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  setStatus(status: string): void {
    this.state = { status };
    for (const l of [...this.listeners]) l(this.state);
  }

  sends(messageId: string): number {
    return this.smtpSends.get(messageId) ?? 0;
  }

  call(method: 'outbox.build', params: ComposeInputIn): Promise<BuiltMessage>;
  call(method: 'outbox.submit', params: SubmitParamsIn): Promise<SubmitResult>;
  call(method: 'outbox.status', params: { accountId: string; messageId: string }): Promise<OutboxStatus>;
  async call(method: string, params: unknown): Promise<unknown> {
    if (this.state.status !== 'connected') throw new PetrelError('DISCONNECTED', 'Lost the connection to the Petrel engine.');
    if (method === 'outbox.build') {
      this.builds.push(params as ComposeInputIn);
      const failure = this.buildFailure;
      this.buildFailure = undefined;
      if (failure) throw failure;
      const n = this.builds.length;
      return {
        messageId: `<m${n}@example.test>`,
        raw: btoa(`Message-ID: <m${n}@example.test>\r\n\r\nHi`),
        size: 30,
        envelope: { from: 'alice@example.test', to: ['bob@example.test'] },
        date: 0,
      } satisfies BuiltMessage;
    }
    if (method === 'outbox.status') {
      const { messageId } = params as { messageId: string };
      this.statuses.push(messageId);
      return { journal: this.journal.get(messageId) ?? null, inFlight: this.inFlight.has(messageId), inSent: this.inSent.has(messageId) };
    }
    const p = params as SubmitParamsIn;
    this.submits.push(p);
    // Like the engine: a submit for a Message-ID already running joins it.
    const running = this.inFlight.get(p.messageId);
    if (running) return running;
    const run = (async () => {
      await this.onSubmit(p);
      const scripted = this.script.shift();
      return scripted ? scripted(p) : this.model(p);
    })().finally(() => this.inFlight.delete(p.messageId));
    this.inFlight.set(p.messageId, run);
    return run;
  }

  /** What the real engine does. */
  async model(p: SubmitParamsIn): Promise<SubmitResult> {
    const state = this.journal.get(p.messageId);
    if (state === 'submitting' && !p.resend) {
      if (!this.inSent.has(p.messageId)) throw new PetrelError('SEND_UNCERTAIN', 'It may have been sent.');
    } else if (!state || state === 'submitting') {
      this.smtpSends.set(p.messageId, this.sends(p.messageId) + 1);
    }
    this.journal.set(p.messageId, 'filed');
    this.inSent.add(p.messageId);
    return { state: 'sent', filedInSent: true, rejected: [], draftRemoved: false };
  }
}

let db: OutboxDb;
let engine: FakeEngine;
let now: number;
const runners: OutboxRunner[] = [];

function runner(): OutboxRunner {
  const r = new OutboxRunner(db, engine, { now: () => now, retryBaseMs: 1000, retryMaxMs: 8000, onError: () => undefined });
  runners.push(r);
  return r;
}

function content(o: Partial<ComposerContent> = {}): ComposerContent {
  return {
    accountId: ACCOUNT,
    identityId: 'main',
    to: 'bob@example.test',
    cc: '',
    bcc: '',
    subject: 'Hello',
    text: 'Hi',
    html: null,
    attachments: [],
    ...o,
  };
}

async function entry(id: string): Promise<OutboxEntry | undefined> {
  return db.outbox.get(id);
}



async function settle(r: OutboxRunner): Promise<void> {
  await r.kick();
  await r.idle();
}

beforeEach(() => {
  db = new OutboxDb(`petrel-outbox-test-${Math.random().toString(36).slice(2)}`);
  engine = new FakeEngine();
  now = 1_000_000;
});

afterEach(async () => {
  for (const r of runners.splice(0)) {
    r.stop();
    await r.idle();
  }
  await db.delete();
});

/** Send, and the Message-ID the engine built it with (when it was reachable). */
async function send(r: OutboxRunner, c: Partial<ComposerContent> = {}, undoMs = 0): Promise<{ id: string; messageId: string }> {
  const e = await r.send(content(c), { undoMs });
  return { id: e.id, messageId: e.messageId ?? '' };
}

describe('sending', () => {
  it('builds the message once and commits it before anything else; the undo window keeps it waiting', async () => {
    const r = runner().start();
    const { id, messageId } = await send(r, { subject: 'Oops' }, 5000);
    expect(engine.builds).toHaveLength(1);
    expect(engine.builds[0]).toMatchObject({ accountId: ACCOUNT, identityId: 'main', subject: 'Oops', to: [{ address: 'bob@example.test' }] });
    expect(await entry(id)).toMatchObject({ state: 'waiting', messageId, sendAt: now + 5000, summary: { to: ['bob@example.test'], subject: 'Oops' } });
    now += 4000;
    await settle(r);
    expect(engine.submits).toHaveLength(0);
  });

  it('Undo within the window gives the content back: nothing was submitted', async () => {
    const r = runner().start();
    const { id } = await send(r, { subject: 'Oops' }, 5000);
    const back = await r.undo(id);
    expect(back?.subject).toBe('Oops');
    expect(await entry(id)).toBeUndefined();
    now += 10_000;
    await settle(r);
    expect(engine.submits).toHaveLength(0);
  });

  it('submits when the window ends ("sending" committed first), then Undo is too late', async () => {
    const r = runner().start();
    const { id, messageId } = await send(r, {}, 5000);
    now += 5000;
    let during: OutboxEntry | undefined;
    engine.onSubmit = async () => {
      during = await entry(id);
    };
    await settle(r);
    expect(during).toMatchObject({ state: 'sending', attempts: 1 });
    expect(engine.submits).toHaveLength(1);
    expect(engine.submits[0]).toMatchObject({ accountId: ACCOUNT, messageId, saveToSent: true, resend: false });
    expect(await entry(id)).toBeUndefined();
    expect(await r.undo(id)).toBeNull();
    expect(engine.sends(messageId)).toBe(1);
  });

  it('0 seconds sends at once; "send now" ends a window early', async () => {
    const r = runner().start();
    const a = await send(r);
    await r.idle();
    expect(engine.sends(a.messageId)).toBe(1);
    const b = await send(r, {}, 60_000);
    await r.sendNow(b.id);
    await r.idle();
    expect(engine.sends(b.messageId)).toBe(1);
  });

  it('tells onSent once the server took it: not while in the undo window, not after Undo, not on failure', async () => {
    const heard: OutboxEntry[] = [];
    const r = new OutboxRunner(db, engine, { now: () => now, onError: () => undefined, onSent: (e) => heard.push(e) }).start();
    runners.push(r);
    const respondsTo = { accountId: ACCOUNT, path: 'INBOX', uidValidity: '7', uid: 42, mark: 'answered' as const };
    const undone = await send(r, { subject: 'Undone', respondsTo }, 5000);
    await r.undo(undone.id);
    const refused = await send(r, { subject: 'Refused', respondsTo }, 5000);
    await settle(r);
    expect(heard).toHaveLength(0);
    engine.script.push(async () => {
      throw new PetrelError('RECIPIENT_REJECTED', 'No such user.');
    });
    now += 5000;
    await settle(r);
    expect((await entry(refused.id))?.state).toBe('failed');
    expect(heard).toHaveLength(0);
    const sent = await send(r, { subject: 'Sent', respondsTo });
    await settle(r);
    expect(engine.sends(sent.messageId)).toBe(1);
    expect(heard.map((e) => [e.content.subject, e.content.respondsTo])).toEqual([['Sent', respondsTo]]);
  });

  it('refuses content without valid recipients, committing nothing', async () => {
    const r = runner().start();
    await expect(r.send(content({ to: 'bob' }), { undoMs: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(r.send(content({ to: '' }), { undoMs: 0 })).rejects.toMatchObject({ message: 'Add at least one recipient.' });
    expect(await db.outbox.count()).toBe(0);
    expect(engine.builds).toHaveLength(0);
  });

  it('a build the engine refuses (too large) rejects and commits nothing', async () => {
    const r = runner().start();
    engine.buildFailure = new PetrelError('MESSAGE_TOO_LARGE', 'The attachments come to 30 MB.');
    await expect(r.send(content(), { undoMs: 5000 })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    expect(await db.outbox.count()).toBe(0);
  });

  it('passes the draft it came from, so the engine removes it once sent', async () => {
    const r = runner().start();
    const draftRef = { accountId: ACCOUNT, path: 'Drafts', uidValidity: '7', uid: 3 };
    await send(r, { draftRef });
    await r.idle();
    expect(engine.submits[0]?.draft).toEqual(draftRef);
  });
});

describe('offline', () => {
  it('with the engine unreachable at Send: kept unbuilt, built once and sent when it is back', async () => {
    engine.setStatus('disconnected');
    const r = runner().start();
    const { id, messageId } = await send(r, {}, 5000);
    expect(messageId).toBe('');
    now += 6000;
    await settle(r);
    expect(await entry(id)).toMatchObject({ state: 'queued' });
    expect((await entry(id))?.messageId).toBeUndefined();
    expect(engine.submits).toHaveLength(0);
    engine.setStatus('connected');
    await r.idle();
    expect(engine.builds).toHaveLength(1);
    expect(engine.submits).toHaveLength(1);
    expect(engine.sends(engine.submits[0]!.messageId)).toBe(1);
    expect(await entry(id)).toBeUndefined();
  });

  it('the Message-ID stays the same across retries: the message is never rebuilt', async () => {
    const r = runner().start();
    engine.script.push(async () => {
      throw new PetrelError('SERVER_UNREACHABLE', 'Petrel could not reach the SMTP server.');
    });
    const { messageId } = await send(r);
    await r.idle();
    now += 60_000;
    await settle(r);
    expect(engine.submits.map((p) => p.messageId)).toEqual([messageId, messageId]);
    expect(engine.submits[0]?.raw).toBe(engine.submits[1]?.raw);
    expect(engine.builds).toHaveLength(1);
  });

  it('a connection lost during submit leaves it sending; on reconnect it is reconciled, not sent twice', async () => {
    const r = runner().start();
    // The engine got it and sent it, but the answer never arrived.
    engine.script.push(async (p) => {
      await engine.model(p);
      engine.setStatus('disconnected');
      throw new PetrelError('DISCONNECTED', 'Lost the connection to the Petrel engine.');
    });
    const { id, messageId } = await send(r);
    await r.idle();
    expect((await entry(id))?.state).toBe('sending');
    engine.setStatus('connected');
    await r.idle();
    expect(engine.statuses).toEqual([messageId]);
    expect(await entry(id)).toBeUndefined();
    expect(engine.sends(messageId)).toBe(1);
  });

  it('retries temporary failures with backoff, and at once when the account is back', async () => {
    const r = runner().start();
    engine.script.push(async () => {
      throw new PetrelError('SERVER_UNREACHABLE', 'Petrel could not reach the SMTP server.');
    });
    engine.script.push(async () => {
      throw new PetrelError('SERVER_ERROR', '451 4.3.0 Try again later', { temporary: true });
    });
    const { id, messageId } = await send(r);
    await r.idle();
    expect(await entry(id)).toMatchObject({ state: 'failed', retryable: true, nextAttemptAt: now + 1000, error: { code: 'SERVER_UNREACHABLE' } });
    now += 999;
    await settle(r);
    expect(engine.submits).toHaveLength(1);
    now += 1;
    await settle(r);
    expect(engine.submits).toHaveLength(2);
    expect(await entry(id)).toMatchObject({ state: 'failed', retryable: true, nextAttemptAt: now + 2000 });
    await r.accountOnline(ACCOUNT);
    await r.idle();
    expect(engine.submits).toHaveLength(3);
    expect(await entry(id)).toBeUndefined();
    expect(engine.sends(messageId)).toBe(1);
  });
});

describe('errors that wait for the person', () => {
  it.each([
    ['AUTH_FAILED', 'The SMTP server rejected the user name or password.'],
    ['RECIPIENT_REJECTED', 'The server refused nobody@example.test: 550 5.1.1 User unknown'],
    ['MESSAGE_TOO_LARGE', 'The server refused the message as too large: 552 5.3.4'],
  ] as const)('%s stays failed, in the server’s words, until Retry or Edit', async (code, message) => {
    const r = runner().start();
    engine.script.push(async () => {
      throw new PetrelError(code, message);
    });
    const { id } = await send(r, { subject: 'Keep me' });
    await r.idle();
    expect(await entry(id)).toMatchObject({ state: 'failed', retryable: false, error: { code, message } });
    now += 3_600_000;
    await settle(r);
    expect(engine.submits).toHaveLength(1);
    if (code === 'AUTH_FAILED') {
      await r.retry(id);
      await r.idle();
      expect(engine.submits).toHaveLength(2);
      expect(await entry(id)).toBeUndefined();
    } else {
      const back = await r.edit(id);
      expect(back?.subject).toBe('Keep me');
      expect(await entry(id)).toBeUndefined();
    }
  });

  it('a message that may have been sent becomes uncertain; only "send again" sends it', async () => {
    const r = runner().start();
    engine.script.push(async (p) => {
      engine.journal.set(p.messageId, 'submitting');
      throw new PetrelError('SEND_UNCERTAIN', 'It may have been sent.');
    });
    const { id, messageId } = await send(r);
    await r.idle();
    expect(await entry(id)).toMatchObject({ state: 'uncertain', error: { code: 'SEND_UNCERTAIN' } });
    now += 3_600_000;
    await settle(r);
    expect(engine.submits).toHaveLength(1);
    await r.sendAgain(id);
    await r.idle();
    expect(engine.submits[1]?.resend).toBe(true);
    expect(engine.sends(messageId)).toBe(1);
    expect(await entry(id)).toBeUndefined();
  });

  it('"don\'t send" removes an uncertain message', async () => {
    const r = runner().start();
    engine.script.push(async () => {
      throw new PetrelError('SEND_UNCERTAIN', 'It may have been sent.');
    });
    const { id } = await send(r);
    await r.idle();
    expect(await r.discard(id)).toBe(true);
    expect(await entry(id)).toBeUndefined();
  });
});

describe('after the server took it', () => {
  it('keeps the message while the Sent copy fails, and retrying files it without sending again', async () => {
    const r = runner().start();
    engine.script.push(async (p) => {
      engine.smtpSends.set(p.messageId, 1);
      engine.journal.set(p.messageId, 'submitted');
      return {
        state: 'submitted',
        filedInSent: false,
        rejected: [],
        draftRemoved: false,
        sentCopyError: { code: 'SERVER_UNREACHABLE', message: 'Petrel could not reach the IMAP server.' },
      };
    });
    const { id, messageId } = await send(r);
    await r.idle();
    expect(await entry(id)).toMatchObject({ state: 'filing', error: { code: 'SERVER_UNREACHABLE' }, nextAttemptAt: now + 1000 });
    now += 1000;
    await settle(r);
    expect(engine.submits).toHaveLength(2);
    expect(await entry(id)).toBeUndefined();
    expect(engine.sends(messageId)).toBe(1);
  });

  it('keeps a notice of refused recipients until it is dismissed', async () => {
    const r = runner().start();
    const rejected = [{ address: 'nobody@example.test', response: '550 5.1.1 User unknown' }];
    engine.script.push(async () => ({ state: 'sent', filedInSent: true, rejected, draftRemoved: false }));
    const { id } = await send(r);
    await r.idle();
    expect(await entry(id)).toMatchObject({ state: 'sent', rejected });
    now += 3_600_000;
    await settle(r);
    expect(engine.submits).toHaveLength(1);
    expect(await r.discard(id)).toBe(true);
  });
});

describe('restarts', () => {
  /** A previous run's entry, as IndexedDB kept it when the window or engine died. */
  async function orphan(state: OutboxEntry['state'] = 'sending'): Promise<{ id: string; messageId: string }> {
    const seed = new OutboxRunner(db, engine, { now: () => now });
    const sent = await seed.send(content(), { undoMs: 60_000 });
    seed.stop();
    await seed.idle();
    await db.outbox.update(sent.id, { state, attempts: 1 });
    return { id: sent.id, messageId: sent.messageId ?? '' };
  }

  it('journal "submitted": completes the Sent step, no second SMTP send', async () => {
    const { id, messageId } = await orphan();
    engine.journal.set(messageId, 'submitted');
    engine.smtpSends.set(messageId, 1);
    const r = runner().start();
    await r.idle();
    expect(engine.statuses).toEqual([messageId]);
    expect(engine.submits).toHaveLength(1);
    expect(engine.sends(messageId)).toBe(1);
    expect(await entry(id)).toBeUndefined();
  });

  it('journal "filed": done', async () => {
    const { id, messageId } = await orphan();
    engine.journal.set(messageId, 'filed');
    engine.smtpSends.set(messageId, 1);
    const r = runner().start();
    await r.idle();
    expect(engine.sends(messageId)).toBe(1);
    expect(await entry(id)).toBeUndefined();
  });

  it('journal "submitting" and not in Sent: uncertain, the person is asked', async () => {
    const { id, messageId } = await orphan();
    engine.journal.set(messageId, 'submitting');
    const r = runner().start();
    await r.idle();
    expect(await entry(id)).toMatchObject({ state: 'uncertain' });
    expect(engine.sends(messageId)).toBe(0);
  });

  it('journal "submitting" but found in Sent: done', async () => {
    const { id, messageId } = await orphan();
    engine.journal.set(messageId, 'submitting');
    engine.inSent.add(messageId);
    const r = runner().start();
    await r.idle();
    expect(await entry(id)).toBeUndefined();
    expect(engine.sends(messageId)).toBe(0);
  });

  it('no journal entry and not in Sent: it never went out, so it is sent', async () => {
    const { id, messageId } = await orphan();
    const r = runner().start();
    await r.idle();
    expect(engine.sends(messageId)).toBe(1);
    expect(await entry(id)).toBeUndefined();
  });

  it('no journal entry but in Sent (the journal was lost): done, not sent again', async () => {
    const { id, messageId } = await orphan();
    engine.inSent.add(messageId);
    const r = runner().start();
    await r.idle();
    expect(engine.submits).toHaveLength(0);
    expect(await entry(id)).toBeUndefined();
  });

  it('waits for the engine before reconciling', async () => {
    const { id, messageId } = await orphan();
    engine.journal.set(messageId, 'submitted');
    engine.setStatus('disconnected');
    const r = runner().start();
    await r.idle();
    expect(engine.statuses).toHaveLength(0);
    expect((await entry(id))?.state).toBe('sending');
    engine.setStatus('connected');
    await r.idle();
    expect(await entry(id)).toBeUndefined();
  });

  it('a window that ended while the app was closed: sent on start', async () => {
    const { messageId } = await orphan('waiting');
    now += 60_000;
    const r = runner().start();
    await r.idle();
    expect(engine.sends(messageId)).toBe(1);
  });
});

describe('never twice', () => {
  it('two runners on one outbox (two windows): one claims it, the other only joins the engine’s submission', async () => {
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      engine.onSubmit = () => {
        resolve();
        return new Promise<void>((r) => (release = r));
      };
    });
    const a = runner().start();
    const b = runner().start();
    const { id, messageId } = await send(a);
    await started;
    // The second window sees it 'sending', not its own: it asks the engine, which is still on it.
    const bDone = b.kick();
    while (engine.statuses.length === 0) await new Promise((r) => setTimeout(r, 5));
    release();
    await bDone;
    await Promise.all([a.idle(), b.idle()]);
    expect(engine.sends(messageId)).toBe(1);
    expect(engine.statuses).toEqual([messageId]);
    expect(await entry(id)).toBeUndefined();
  });

  it('Undo, Edit and Delete cannot take a message while it is being submitted', async () => {
    let release: () => void = () => undefined;
    const started = new Promise<void>((resolve) => {
      engine.onSubmit = () => {
        resolve();
        return new Promise<void>((r) => (release = r));
      };
    });
    const r = runner().start();
    const { id, messageId } = await send(r);
    await started;
    expect((await entry(id))?.state).toBe('sending');
    expect(await r.undo(id)).toBeNull();
    expect(await r.edit(id)).toBeNull();
    expect(await r.discard(id)).toBe(false);
    release();
    await r.idle();
    expect(engine.sends(messageId)).toBe(1);
  });
});
