import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { contactBook } from '../../contacts';
import { useDb } from '../../db/db-context';
import type { ContactRecord } from '../../db/schema';
import { formatAddress, parseAddresses } from '../../outbox';

/**
 * A To/Cc/Bcc field with address suggestions: an ARIA combobox (WAI-ARIA APG, "list"
 * autocomplete) over the address being typed, the text after the last comma or semicolon.
 * Down/Up move through the suggestions, Enter or Tab take one, Escape closes them; a click
 * takes one too. Taking one replaces what was typed of it and adds ", " for the next.
 */

/** Where the address being typed starts: after the last separator outside quotes and <>. */
export function currentTokenStart(value: string): number {
  let quoted = false;
  let angle = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '"' && !angle) quoted = !quoted;
    else if (ch === '<' && !quoted) angle = true;
    else if (ch === '>' && !quoted) angle = false;
    else if (!quoted && !angle && (ch === ',' || ch === ';' || ch === '\n')) start = i + 1;
  }
  return start;
}

/** The field's text with the address being typed replaced by `picked`, ready for the next. */
export function withPicked(value: string, picked: ContactRecord): string {
  const head = value.slice(0, currentTokenStart(value)).replace(/\s*$/, '');
  const address = formatAddress({ name: picked.name, address: picked.address });
  return `${head ? `${head} ` : ''}${address}, `;
}

export interface AddressInputProps {
  id: string;
  /** The field's name ("To"), for the suggestions' accessible name. */
  label: string;
  value: string;
  onChange: (value: string) => void;
  onBlur?: (value: string) => void;
  placeholder?: string;
  invalid?: boolean;
  describedBy?: string;
  /**
   * The person's own addresses: offered after everyone else. You are in To of all the mail you
   * get, so by count you would top every list your address matches.
   */
  own?: readonly string[];
}

export function AddressInput(props: AddressInputProps) {
  const db = useDb();
  const listId = useId();
  const [items, setItems] = useState<ContactRecord[]>([]);
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const request = useRef(0);
  const input = useRef<HTMLInputElement>(null);

  const lookup = (value: string) => {
    const query = value.slice(currentTokenStart(value)).trim();
    const n = ++request.current;
    if (!query) {
      setItems([]);
      setOpen(false);
      return;
    }
    // Addresses already in the field are not offered again.
    const exclude = new Set(parseAddresses(value.slice(0, currentTokenStart(value))).addresses.map((a) => a.address.toLowerCase()));
    void contactBook(db)
      .suggest(query, { exclude })
      .then((ranked) => {
        if (n !== request.current) return;
        const own = new Set((props.own ?? []).map((a) => a.toLowerCase()));
        const found = [...ranked.filter((c) => !own.has(c.key)), ...ranked.filter((c) => own.has(c.key))];
        setItems(found);
        setOpen(found.length > 0);
        setActive(found.length > 0 ? 0 : -1);
      })
      .catch(() => undefined);
  };

  // New addresses indexed while this field is being typed in show up without another key.
  const lookupRef = useRef(lookup);
  lookupRef.current = lookup;
  const valueRef = useRef(props.value);
  valueRef.current = props.value;
  useEffect(() => {
    const off = contactBook(db).onChange(() => {
      if (document.activeElement === input.current) lookupRef.current(valueRef.current);
    });
    return () => {
      off();
      request.current++;
    };
  }, [db]);

  const pick = (c: ContactRecord) => {
    request.current++;
    props.onChange(withPicked(props.value, c));
    setOpen(false);
    setItems([]);
    setActive(-1);
    input.current?.focus();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!open) {
        if (items.length > 0) setOpen(true);
        else lookup(props.value);
        e.preventDefault();
        return;
      }
      e.preventDefault();
      const step = e.key === 'ArrowDown' ? 1 : -1;
      setActive((a) => (a + step + items.length) % items.length);
      return;
    }
    if (!open) return;
    const chosen = items[active];
    if ((e.key === 'Enter' || e.key === 'Tab') && chosen) {
      // Enter would otherwise submit the form (Send); Tab picks and stays in the field.
      e.preventDefault();
      pick(chosen);
      return;
    }
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    }
  };

  const optionId = (i: number) => `${listId}-opt-${i}`;
  const expanded = open && items.length > 0;

  return (
    <div className="address-input">
      <input
        ref={input}
        id={props.id}
        type="text"
        autoComplete="off"
        role="combobox"
        aria-autocomplete="list"
        aria-expanded={expanded}
        aria-controls={listId}
        aria-activedescendant={expanded && active >= 0 ? optionId(active) : undefined}
        value={props.value}
        placeholder={props.placeholder}
        aria-invalid={props.invalid}
        aria-describedby={props.describedBy}
        onChange={(e) => {
          props.onChange(e.target.value);
          lookup(e.target.value);
        }}
        onKeyDown={onKeyDown}
        onBlur={(e) => {
          setOpen(false);
          props.onBlur?.(e.target.value);
        }}
      />
      <ul id={listId} role="listbox" aria-label={`Suggestions for ${props.label}`} className="address-suggestions" hidden={!expanded}>
        {expanded &&
          items.map((c, i) => (
            <li
              key={c.key}
              id={optionId(i)}
              role="option"
              aria-selected={i === active}
              className={`address-suggestion${i === active ? ' active' : ''}`}
              // Keeps the focus (and so the field's blur) out of the way of the click.
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => pick(c)}
            >
              {c.name ? (
                <>
                  <span className="suggestion-name">{c.name}</span> <span className="muted small">{c.address}</span>
                </>
              ) : (
                <span>{c.address}</span>
              )}
            </li>
          ))}
      </ul>
    </div>
  );
}
