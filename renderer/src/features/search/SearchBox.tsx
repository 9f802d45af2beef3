import { useEffect, useRef } from 'react';
import './search.css';

/** Whether a key event comes from somewhere typing happens (then `/` is just a character). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  return el.closest('input, textarea, select, [contenteditable=""], [contenteditable="true"], [role="textbox"]') !== null;
}

/**
 * The search field. `/` anywhere (but where one types) focuses it; Escape clears it, or
 * leaves it when empty. Results follow every keystroke (see useSearch).
 */
export function SearchBox(props: {
  value: string;
  onChange: (value: string) => void;
  /** Escape, or the clear button. Default: onChange(''). */
  onClear?: () => void;
  /** Enter. */
  onSubmit?: () => void;
  placeholder?: string;
}) {
  const input = useRef<HTMLInputElement>(null);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
      if (isTypingTarget(e.target)) return;
      e.preventDefault();
      input.current?.focus();
      input.current?.select();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  const clear = () => (props.onClear ? props.onClear() : props.onChange(''));

  return (
    <form
      role="search"
      aria-label="Search mail"
      className="search-box"
      onSubmit={(e) => {
        e.preventDefault();
        props.onSubmit?.();
      }}
    >
      <svg viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" className="search-icon" fill="none" stroke="currentColor" strokeWidth="1.4" strokeLinecap="round">
        <circle cx="7" cy="7" r="4.5" />
        <path d="M10.5 10.5l3 3" />
      </svg>
      <input
        ref={input}
        type="search"
        aria-label="Search mail"
        placeholder={props.placeholder ?? 'Search mail'}
        aria-keyshortcuts="/"
        autoComplete="off"
        spellCheck={false}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        onKeyDown={(e) => {
          if (e.key !== 'Escape') return;
          e.preventDefault();
          if (props.value) clear();
          else input.current?.blur();
        }}
      />
      {props.value ? (
        <button type="button" className="search-clear" aria-label="Clear search" onClick={() => { clear(); input.current?.focus(); }}>
          ×
        </button>
      ) : (
        <kbd className="search-key" aria-hidden="true">/</kbd>
      )}
    </form>
  );
}
