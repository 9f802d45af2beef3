/**
 * Deterministic test messages of the shapes a mailbox really holds: plain text, HTML
 * only, multipart/alternative, attachments, encoded-word subjects, replies with
 * References. Message `i` is always the same bytes, so tests can predict every field.
 */
export interface TestMessage {
  raw: string;
  subject: string;
  messageId: string;
  /** What the list preview should start with. */
  text: string;
  hasAttachment: boolean;
  date: Date;
}

const CRLF = '\r\n';

export function testMessage(i: number, opts: { folder?: string; to?: string } = {}): TestMessage {
  const kind = i % 5;
  const date = new Date(Date.UTC(2024, 0, 1) + i * 60_000);
  const messageId = `<m${i}.${opts.folder ?? 'f'}@petrel.test>`;
  const subject = kind === 3 ? `Grüße Nr. ${i}` : `Message ${i}`;
  const encodedSubject = kind === 3 ? `=?UTF-8?B?${Buffer.from(subject).toString('base64')}?=` : subject;
  const text = `Hello number ${i}, this is the body text.`;
  const head = [
    `From: Sender ${i % 7} <sender${i % 7}@example.test>`,
    `To: ${opts.to ?? 'alice@example.test'}`,
    ...(i % 4 === 0 ? ['Cc: "Carol, C." <carol@example.test>, bob@example.test'] : []),
    `Subject: ${encodedSubject}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: ${messageId}`,
    ...(i > 0 && i % 3 === 0
      ? [`In-Reply-To: <m${i - 1}.${opts.folder ?? 'f'}@petrel.test>`, `References: <m0.x@petrel.test>\r\n <m${i - 1}.${opts.folder ?? 'f'}@petrel.test>`]
      : []),
    'MIME-Version: 1.0',
  ];
  let body: string[];
  let hasAttachment = false;
  switch (kind) {
    case 0:
    case 3:
      body = ['Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: 8bit', '', text, '', '> quoted older text', ''];
      break;
    case 1:
      body = [
        'Content-Type: text/html; charset=utf-8',
        '',
        `<html><head><style>p { color: red; }</style></head><body><p>${text.replace('body', '<b>body</b>')}</p></body></html>`,
      ];
      break;
    case 2:
      body = [
        'Content-Type: multipart/alternative; boundary="alt"',
        '',
        '--alt',
        'Content-Type: text/plain; charset=iso-8859-1',
        'Content-Transfer-Encoding: quoted-printable',
        '',
        `${text} Caf=E9.`,
        '--alt',
        'Content-Type: text/html; charset=utf-8',
        '',
        `<p>${text} Café.</p>`,
        '--alt--',
      ];
      break;
    default:
      hasAttachment = true;
      body = [
        'Content-Type: multipart/mixed; boundary="mix"',
        '',
        '--mix',
        'Content-Type: text/plain; charset=utf-8',
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from(text).toString('base64'),
        '--mix',
        `Content-Type: application/pdf; name="report-${i}.pdf"`,
        `Content-Disposition: attachment; filename="report-${i}.pdf"`,
        'Content-Transfer-Encoding: base64',
        '',
        Buffer.from(`%PDF-1.4 fake ${i}`).toString('base64'),
        '--mix--',
      ];
  }
  const expectedText = kind === 2 ? `${text} Café.` : text;
  return { raw: [...head, ...body].join(CRLF) + CRLF, subject, messageId, text: expectedText, hasAttachment, date };
}
