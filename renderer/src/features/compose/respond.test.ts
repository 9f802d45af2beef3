import { describe, expect, it } from 'vitest';
import { MAX_REFERENCES, type Account, type Address } from '../../../../shared/contract';
import {
  attribution,
  emlFilename,
  forwardBody,
  forwardSubject,
  ownAddresses,
  pickIdentity,
  replyBody,
  replyRecipients,
  replySubject,
  signatureHtml,
  threadHeaders,
  type Original,
} from './respond';

const a = (address: string, name = ''): Address => ({ name, address });

const account: Account = {
  id: 'acct-bob',
  label: 'Bob',
  name: 'Bob',
  email: 'bob@example.test',
  auth: { method: 'password' },
  imap: { host: 'imap.example.test', port: 993, security: 'tls', username: 'bob' },
  smtp: { host: 'smtp.example.test', port: 587, security: 'starttls', username: 'bob' },
  pins: [],
  color: '#336699',
  order: 0,
  identities: [
    { id: 'main', name: 'Bob', email: 'bob@example.test', signature: 'Bob\nExample Ltd' },
    { id: 'sales', name: 'Sales', email: 'Sales@Example.test', signature: '' },
  ],
  separateSmtpPassword: false,
  createdAt: 0,
};

const original: Original = {
  accountId: 'acct-bob',
  messageId: '<m3@example.test>',
  references: ['<m1@example.test>', '<m2@example.test>'],
  subject: 'Budget',
  from: [a('alice@example.test', 'Alice Example')],
  to: [a('bob@example.test', 'Bob'), a('carol@example.test', 'Carol')],
  cc: [a('dave@example.test'), a('sales@example.test')],
  replyTo: [],
  date: Date.UTC(2026, 2, 3, 14, 5),
};

describe('pickIdentity', () => {
  it('answers from the identity the message was addressed to, case-insensitively, To before Cc', () => {
    expect(pickIdentity(account, { to: [a('SALES@example.test')], cc: [] })).toBe('sales');
    expect(pickIdentity(account, { to: [a('x@example.test')], cc: [a('sales@example.test')] })).toBe('sales');
    expect(pickIdentity(account, original)).toBe('main');
  });

  it('falls back to the default identity', () => {
    expect(pickIdentity(account, { to: [a('list@lists.example.test')], cc: [] })).toBe('main');
  });
});

describe('replyRecipients', () => {
  const own = ownAddresses(account);

  it('reply goes to From, or to Reply-To when there is one', () => {
    expect(replyRecipients(original, { all: false, own, inSent: false })).toEqual({ to: [a('alice@example.test', 'Alice Example')], cc: [] });
    const withReplyTo = { ...original, replyTo: [a('list@example.test', 'List')] };
    expect(replyRecipients(withReplyTo, { all: false, own, inSent: false }).to).toEqual([a('list@example.test', 'List')]);
  });

  it('reply all adds the other recipients without my own addresses, each once', () => {
    const withDupes = {
      ...original,
      to: [...original.to, a('CAROL@example.test', 'Carol again'), a('alice@example.test')],
      cc: [...original.cc, a('Dave@Example.test'), a('carol@example.test')],
    };
    const r = replyRecipients(withDupes, { all: true, own, inSent: false });
    expect(r.to.map((x) => x.address)).toEqual(['alice@example.test', 'carol@example.test']);
    expect(r.cc.map((x) => x.address)).toEqual(['dave@example.test']);
  });

  it('a message I sent is answered to its original recipients', () => {
    const mine = { ...original, from: [a('bob@example.test', 'Bob')], to: [a('carol@example.test')], cc: [a('dave@example.test')] };
    expect(replyRecipients(mine, { all: false, own, inSent: false })).toEqual({ to: [a('carol@example.test')], cc: [] });
    expect(replyRecipients(mine, { all: true, own, inSent: false })).toEqual({ to: [a('carol@example.test')], cc: [a('dave@example.test')] });
    // In Sent, whatever the From says (another address of mine not set up as an identity).
    const sentElsewhere = { ...mine, from: [a('bob@old.example.test')] };
    expect(replyRecipients(sentElsewhere, { all: false, own, inSent: true }).to).toEqual([a('carol@example.test')]);
  });
});

describe('subjects', () => {
  it('adds Re: once and recognises the usual prefixes', () => {
    expect(replySubject('Budget')).toBe('Re: Budget');
    expect(replySubject('Re: Budget')).toBe('Re: Budget');
    expect(replySubject('RE: re: Budget')).toBe('Re: Budget');
    expect(replySubject('AW: Budget')).toBe('Re: Budget');
    expect(replySubject('Re[2]: Budget')).toBe('Re: Budget');
    expect(replySubject('Fwd: Budget')).toBe('Re: Fwd: Budget');
    expect(replySubject('')).toBe('Re: ');
  });

  it('adds Fwd: once', () => {
    expect(forwardSubject('Budget')).toBe('Fwd: Budget');
    expect(forwardSubject('Fw: Budget')).toBe('Fwd: Budget');
    expect(forwardSubject('FWD: Fwd: Budget')).toBe('Fwd: Budget');
    expect(forwardSubject('Re: Budget')).toBe('Fwd: Re: Budget');
  });

  it('does not take a word that merely starts like a prefix', () => {
    expect(replySubject('Rework: plan')).toBe('Re: Rework: plan');
    expect(forwardSubject('Fwding: plan')).toBe('Fwd: Fwding: plan');
  });
});

describe('threadHeaders', () => {
  it('In-Reply-To is the Message-ID; References the original References plus it', () => {
    expect(threadHeaders(original)).toEqual({
      inReplyTo: '<m3@example.test>',
      references: ['<m1@example.test>', '<m2@example.test>', '<m3@example.test>'],
    });
  });

  it('uses In-Reply-To when there are no References, and drops ids the composer would refuse', () => {
    expect(threadHeaders({ messageId: '<m2@x.test>', references: [], inReplyTo: '<m1@x.test>' }).references).toEqual(['<m1@x.test>', '<m2@x.test>']);
    expect(threadHeaders({ messageId: 'not-an-id', references: ['<ok@x.test>', '<no-domain>'] })).toEqual({ references: ['<ok@x.test>'] });
  });

  it('keeps the first and the most recent ids of a long thread', () => {
    const refs = Array.from({ length: 40 }, (_, i) => `<r${i}@x.test>`);
    const { references } = threadHeaders({ messageId: '<last@x.test>', references: refs });
    expect(references).toHaveLength(MAX_REFERENCES);
    expect(references[0]).toBe('<r0@x.test>');
    expect(references.at(-1)).toBe('<last@x.test>');
    expect(references.at(-2)).toBe('<r39@x.test>');
    expect(references[1]).toBe(`<r${40 - (MAX_REFERENCES - 2)}@x.test>`);
  });
});

describe('quoting', () => {
  it('the attribution names the sender and the date in the given locale', () => {
    expect(attribution(original, 'en-GB')).toMatch(/^On 3 Mar 2026, \d\d:\d\d, Alice Example wrote:$/);
    expect(attribution({ ...original, from: [a('alice@example.test')] }, 'en-GB')).toMatch(/, alice@example\.test wrote:$/);
  });

  it('a reply has room to write, the signature above the quote, and the original in a blockquote', () => {
    const body = replyBody(original, { html: '<p>Numbers <b>attached</b></p>', text: 'Numbers attached' }, 'Bob\nExample Ltd', 'en-GB');
    const sig = body.html.indexOf('data-petrel-signature');
    const quote = body.html.indexOf('<blockquote>');
    expect(body.html.startsWith('<div><br></div>')).toBe(true);
    expect(sig).toBeGreaterThan(0);
    expect(quote).toBeGreaterThan(sig);
    expect(body.html).toContain('-- <br>Bob<br>Example Ltd');
    expect(body.html).toContain('<blockquote><p>Numbers <b>attached</b></p></blockquote>');
    expect(body.text).toMatch(/^\n\n-- \nBob\nExample Ltd\nOn .* Alice Example wrote:\n> Numbers attached$/);
  });

  it('escapes what it adds: names, subjects, plain-text bodies', () => {
    const evil = { ...original, from: [a('x@example.test', '<img src=x onerror=alert(1)>')], subject: '<script>' };
    const reply = replyBody(evil, { html: null, text: '<b>not bold</b>' }, '<i>sig</i>');
    expect(reply.html).not.toMatch(/<img|<i>|<b>/);
    expect(reply.html).toContain('&lt;b&gt;not bold&lt;/b&gt;');
    const fwd = forwardBody(evil, { html: null, text: 'x' }, '');
    expect(fwd.html).not.toContain('<script>');
  });

  it('an inline forward carries the header block and the body', () => {
    const fwd = forwardBody(original, { html: null, text: 'Hello' }, '', 'en-GB');
    expect(fwd.text).toContain('---------- Forwarded message ----------');
    expect(fwd.text).toContain('From: Alice Example <alice@example.test>');
    expect(fwd.text).toContain('Subject: Budget');
    expect(fwd.text).toContain('To: Bob <bob@example.test>, Carol <carol@example.test>');
    expect(fwd.text).toContain('Cc: dave@example.test, sales@example.test');
    expect(fwd.text).toMatch(/Date: 3 Mar 2026/);
    expect(fwd.text.endsWith('\n\nHello')).toBe(true);
    expect(fwd.html).not.toContain('data-petrel-signature');
  });

  it('no signature, no separator', () => {
    expect(signatureHtml('  \n ')).toBe('');
  });
});

describe('emlFilename', () => {
  it('makes a safe file name of the subject', () => {
    expect(emlFilename('Re: a/b "c"?')).toBe('Re a b c.eml');
    expect(emlFilename('')).toBe('message.eml');
  });
});
