import { useId, useMemo, useState } from 'react';
import { foldQuotes, linkify } from './plain-text';

/**
 * A plain-text message in the React tree: wrapped preformatted text, links made clickable
 * (http, https, mailto only, built as elements, never as markup), quotes folded.
 */
export function PlainTextBody({ text }: { text: string }) {
  const blocks = useMemo(() => foldQuotes(text), [text]);
  return (
    <div className="reader-text">
      {blocks.map((b, i) =>
        b.kind === 'quote' ? <QuoteBlock key={i} text={b.text} lines={b.lines} /> : <LinkedText key={i} text={b.text} />,
      )}
    </div>
  );
}

function LinkedText({ text }: { text: string }) {
  const pieces = useMemo(() => linkify(text), [text]);
  return (
    <pre className="reader-text-block">
      {pieces.map((p, i) =>
        p.kind === 'link' ? (
          <a key={i} href={p.href} target="_blank" rel="noopener noreferrer" title={p.href}>
            {p.text}
          </a>
        ) : (
          p.text
        ),
      )}
    </pre>
  );
}

function QuoteBlock({ text, lines }: { text: string; lines: number }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  return (
    <div className="reader-quote">
      <button type="button" className="reader-quote-toggle" aria-expanded={open} aria-controls={id} onClick={() => setOpen(!open)}>
        {open ? 'Hide quoted text' : 'Show quoted text'}
        <span className="muted"> ({lines === 1 ? '1 line' : `${lines.toLocaleString()} lines`})</span>
      </button>
      <div id={id} hidden={!open}>
        {open && <LinkedText text={text} />}
      </div>
    </div>
  );
}
