import { EmailSchema, type ComposeAddress } from '../../../shared/contract';

export interface ParsedAddresses {
  addresses: ComposeAddress[];
  /** The parts that are not an address, as typed. */
  invalid: string[];
}

/**
 * Splits what was typed in a To/Cc/Bcc field: addresses separated by commas, semicolons or
 * line breaks, each either `addr@example.com`, `Name <addr@example.com>` or
 * `"Last, First" <addr@example.com>` (separators inside quotes or <> do not split).
 */
export function parseAddresses(input: string): ParsedAddresses {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  let angle = false;
  for (const ch of input) {
    if (ch === '"' && !angle) quoted = !quoted;
    else if (ch === '<' && !quoted) angle = true;
    else if (ch === '>' && !quoted) angle = false;
    if (!quoted && !angle && (ch === ',' || ch === ';' || ch === '\n')) {
      parts.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  parts.push(current);
  const addresses: ComposeAddress[] = [];
  const invalid: string[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (!part) continue;
    const parsed = parseOne(part);
    if (parsed) addresses.push(parsed);
    else invalid.push(part);
  }
  return { addresses, invalid };
}

function parseOne(part: string): ComposeAddress | null {
  const angled = /^(.*)<([^<>]+)>$/.exec(part);
  const name = angled ? unquote(angled[1]!.trim()) : '';
  const address = (angled ? angled[2]! : part).trim();
  const checked = EmailSchema.safeParse(address);
  return checked.success ? { name, address: checked.data } : null;
}

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') && s.length >= 2 ? s.slice(1, -1).replace(/\\(.)/g, '$1') : s;
}

/** An address as people read it. */
export function formatAddress(a: ComposeAddress): string {
  if (!a.name) return a.address;
  return /[",;<>@]/.test(a.name) ? `"${a.name.replace(/(["\\])/g, '\\$1')}" <${a.address}>` : `${a.name} <${a.address}>`;
}
