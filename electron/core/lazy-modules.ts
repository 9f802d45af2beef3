/**
 * Libraries loaded on first use instead of at start: mailparser (the message shapes the direct
 * reader leaves to it, and attachments) and nodemailer's parts (building a message, an SMTP
 * session). The header sync needs none of them, and loaded at start they were part of the
 * host's resident memory for its whole life, the 100k first sync's peak included (measured in
 * the host before any account: bench/analysis.md). Node keeps each module once loaded; these
 * keep the import's promise so later callers do not resolve it again.
 */
import type MailComposerClass from 'nodemailer/lib/mail-composer';
import type SMTPConnectionClass from 'nodemailer/lib/smtp-connection';

let mailparserModule: Promise<typeof import('mailparser')> | undefined;
let composerClass: Promise<typeof MailComposerClass> | undefined;
let smtpClass: Promise<typeof SMTPConnectionClass> | undefined;

export function mailparser(): Promise<typeof import('mailparser')> {
  return (mailparserModule ??= import('mailparser'));
}

export function mailComposer(): Promise<typeof MailComposerClass> {
  return (composerClass ??= import('nodemailer/lib/mail-composer').then((m) => m.default));
}

export function smtpConnection(): Promise<typeof SMTPConnectionClass> {
  return (smtpClass ??= import('nodemailer/lib/smtp-connection').then((m) => m.default));
}
