import { describe, expect, it } from 'vitest';
import { formatAddress, parseAddresses } from './addresses';
import { hasContent, toComposeInput } from './compose-input';
import { undoSeconds } from './settings';
import type { ComposerContent } from './types';

describe('address fields', () => {
  it('splits on commas, semicolons and line breaks, not inside quotes or <>', () => {
    expect(parseAddresses('ann@example.com, "Doe, John" <john@example.com>; Bob Smith <bob@example.com>\ncarol@example.com,')).toEqual({
      addresses: [
        { name: '', address: 'ann@example.com' },
        { name: 'Doe, John', address: 'john@example.com' },
        { name: 'Bob Smith', address: 'bob@example.com' },
        { name: '', address: 'carol@example.com' },
      ],
      invalid: [],
    });
  });

  it('names what is not an address', () => {
    expect(parseAddresses('bob, ann@example.com, x@y, <no>')).toEqual({
      addresses: [{ name: '', address: 'ann@example.com' }],
      invalid: ['bob', 'x@y', '<no>'],
    });
    expect(parseAddresses('  ,  ')).toEqual({ addresses: [], invalid: [] });
  });

  it('formats addresses back, quoting names that need it', () => {
    expect(formatAddress({ name: '', address: 'a@example.com' })).toBe('a@example.com');
    expect(formatAddress({ name: 'Ann', address: 'a@example.com' })).toBe('Ann <a@example.com>');
    expect(formatAddress({ name: 'Doe, "J"', address: 'a@example.com' })).toBe('"Doe, \\"J\\"" <a@example.com>');
    const round = parseAddresses(formatAddress({ name: 'Doe, "J"', address: 'a@example.com' }));
    expect(round.addresses).toEqual([{ name: 'Doe, "J"', address: 'a@example.com' }]);
  });
});

const base: ComposerContent = {
  accountId: 'acct-alice',
  identityId: 'main',
  to: '',
  cc: '',
  bcc: '',
  subject: '',
  text: '',
  html: null,
  attachments: [],
};

describe('composer content to compose input', () => {
  it('sends rich text as html (the engine derives the text) and plain text as text', () => {
    const rich = toComposeInput({ ...base, to: 'b@example.com', text: 'Hi', html: '<p>Hi <b>there</b></p>' });
    expect(rich.problems).toBeNull();
    expect(rich.input).toMatchObject({ html: '<p>Hi <b>there</b></p>', text: '', to: [{ name: '', address: 'b@example.com' }] });
    const plain = toComposeInput({ ...base, bcc: 'b@example.com', text: 'Hi' });
    expect(plain.input).toMatchObject({ text: 'Hi' });
    expect(plain.input.html).toBeUndefined();
  });

  it('reports invalid addresses and a message without recipients', () => {
    expect(toComposeInput({ ...base, to: 'nope', cc: 'c@example.com' }).problems).toEqual({
      invalid: { to: ['nope'], cc: [], bcc: [] },
      noRecipients: false,
    });
    expect(toComposeInput(base).problems).toEqual({ invalid: { to: [], cc: [], bcc: [] }, noRecipients: true });
  });

  it('knows an empty composer from one worth keeping', () => {
    expect(hasContent(base)).toBe(false);
    expect(hasContent({ ...base, subject: 'x' })).toBe(true);
  });
});

describe('the undo setting', () => {
  const storage = (v: string | null) => ({ getItem: () => v });
  it('defaults to 5 s, allows 0, and clamps', () => {
    expect(undoSeconds(storage(null))).toBe(5);
    expect(undoSeconds(storage('0'))).toBe(0);
    expect(undoSeconds(storage('12'))).toBe(12);
    expect(undoSeconds(storage('9999'))).toBe(60);
    expect(undoSeconds(storage('abc'))).toBe(5);
    expect(undoSeconds(undefined)).toBe(5);
  });
});
