import { useEffect, useRef } from 'react';
import { editorText, hasFormatting, replaceSignature, sanitizeEditorHtml, textToHtml } from './editor-html';

export interface EditorValue {
  text: string;
  /** Null when there is no formatting: the message goes out as plain text. */
  html: string | null;
}

const COMMANDS = [
  { command: 'bold', label: 'Bold', glyph: 'B', className: 'fmt-bold' },
  { command: 'italic', label: 'Italic', glyph: 'I', className: 'fmt-italic' },
  { command: 'insertUnorderedList', label: 'Bulleted list', glyph: '•', className: '' },
  { command: 'insertOrderedList', label: 'Numbered list', glyph: '1.', className: '' },
] as const;

/**
 * A small rich-text editor on contentEditable: bold, italic and lists (the browser's editing
 * commands; Ctrl+B/I work too). Its content is set once, from `initial`; after that it
 * reports changes. Pasted HTML is cut down to what the editor itself makes.
 */
export function RichTextEditor(props: {
  initial: EditorValue;
  onChange: (value: EditorValue) => void;
  label?: string;
  /**
   * The signature block of the sender now chosen (respond.ts signatureHtml). A change replaces
   * the signature in the text; the initial value is already in `initial`.
   */
  signature?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const { onChange } = props;
  const initial = useRef(props.initial);
  const shownSignature = useRef(props.signature);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const { html, text } = initial.current;
    el.innerHTML = html !== null ? sanitizeEditorHtml(html) : textToHtml(text);
  }, []);

  const report = () => {
    const el = ref.current;
    if (!el) return;
    const html = el.innerHTML;
    onChange({ text: editorText(el), html: hasFormatting(html) ? sanitizeEditorHtml(html) : null });
  };
  const reportRef = useRef(report);
  reportRef.current = report;

  useEffect(() => {
    const el = ref.current;
    if (!el || props.signature === undefined || props.signature === shownSignature.current) return;
    shownSignature.current = props.signature;
    replaceSignature(el, props.signature);
    reportRef.current();
  }, [props.signature]);

  const run = (command: string) => {
    ref.current?.focus();
    // execCommand is the editing primitive contentEditable offers; it keeps undo history.
    document.execCommand(command, false);
    report();
  };

  const paste = (e: React.ClipboardEvent<HTMLDivElement>) => {
    const html = e.clipboardData.getData('text/html');
    const text = e.clipboardData.getData('text/plain');
    e.preventDefault();
    if (html) document.execCommand('insertHTML', false, sanitizeEditorHtml(html));
    else document.execCommand('insertText', false, text);
    report();
  };

  return (
    <div className="editor">
      <div className="editor-toolbar" role="toolbar" aria-label="Formatting">
        {COMMANDS.map((c) => (
          <button
            key={c.command}
            type="button"
            className={`icon-button editor-button ${c.className}`}
            aria-label={c.label}
            title={c.label}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => run(c.command)}
          >
            {c.glyph}
          </button>
        ))}
      </div>
      <div
        ref={ref}
        className="editor-body"
        contentEditable
        suppressContentEditableWarning
        role="textbox"
        aria-multiline="true"
        aria-label={props.label ?? 'Message'}
        tabIndex={0}
        spellCheck
        onInput={report}
        onPaste={paste}
      />
    </div>
  );
}
