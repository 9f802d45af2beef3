import type { ComposeInputIn } from '../../../shared/contract';
import { parseAddresses } from './addresses';
import type { ComposerContent } from './types';

export interface ContentProblems {
  /** Per field, the parts that are not addresses. */
  invalid: { to: string[]; cc: string[]; bcc: string[] };
  noRecipients: boolean;
}

/** The composer's content as the engine's compose input, and what is wrong with it for sending. */
export function toComposeInput(content: ComposerContent): { input: ComposeInputIn; problems: ContentProblems | null } {
  const to = parseAddresses(content.to);
  const cc = parseAddresses(content.cc);
  const bcc = parseAddresses(content.bcc);
  const invalid = { to: to.invalid, cc: cc.invalid, bcc: bcc.invalid };
  const noRecipients = to.addresses.length + cc.addresses.length + bcc.addresses.length === 0;
  const bad = invalid.to.length + invalid.cc.length + invalid.bcc.length > 0;
  const input: ComposeInputIn = {
    accountId: content.accountId,
    identityId: content.identityId,
    to: to.addresses,
    cc: cc.addresses,
    bcc: bcc.addresses,
    subject: content.subject,
    // With rich text the engine derives the plain-text alternative from the HTML.
    text: content.html !== null ? '' : content.text,
    ...(content.html !== null ? { html: content.html } : {}),
    ...(content.inReplyTo ? { inReplyTo: content.inReplyTo } : {}),
    references: content.references ?? [],
    attachments: content.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, contentBase64: a.contentBase64 })),
  };
  return { input, problems: bad || noRecipients ? { invalid, noRecipients } : null };
}

/** Whether there is anything worth keeping as a draft (a signature alone is not). */
export function hasContent(c: ComposerContent): boolean {
  const text = c.text.replace(/(^|\n)-- ?\n[\s\S]*$/, '');
  return !!(c.to.trim() || c.cc.trim() || c.bcc.trim() || c.subject.trim() || text.trim() || c.attachments.length > 0);
}
