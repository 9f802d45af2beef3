import type { Address } from '../../../../shared/contract';

/** The sender as people read it: the name when there is one, else the address. */
export function senderOf(from: readonly Address[]): string {
  const a = from[0];
  if (!a) return '(no sender)';
  return a.name.trim() || a.address || '(no sender)';
}

const sameDay = (a: Date, b: Date) =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/**
 * One formatter per style, made once: `toLocaleDateString(locale, options)` builds a new ICU
 * formatter on every call (~0.1 ms), and the list formats two dates per row per render.
 * Keyed by the locale the runtime resolves now, so a changed language takes effect.
 */
type Style = 'time' | 'dayMonth' | 'date';
const STYLES: Record<Style, Intl.DateTimeFormatOptions> = {
  time: { hour: 'numeric', minute: '2-digit' },
  dayMonth: { day: 'numeric', month: 'short' },
  date: { dateStyle: 'medium' },
};
let formatters: { locale: string; byStyle: Map<Style, Intl.DateTimeFormat> } | null = null;

function formatter(style: Style): Intl.DateTimeFormat {
  const locale = typeof navigator === 'undefined' ? '' : (navigator.language ?? '');
  if (formatters?.locale !== locale) formatters = { locale, byStyle: new Map() };
  let f = formatters.byStyle.get(style);
  if (!f) {
    f = new Intl.DateTimeFormat(undefined, STYLES[style]);
    formatters.byStyle.set(style, f);
  }
  return f;
}

/** Today: the time; this year: day and month; older: the date. In the person's locale. */
export function listDate(ms: number, now: Date = new Date()): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return formatter('time').format(d);
  if (d.getFullYear() === now.getFullYear()) return formatter('dayMonth').format(d);
  return formatter('date').format(d);
}

/** "1 message", "2,048 messages". */
export function messageCount(n: number): string {
  return `${n.toLocaleString()} ${n === 1 ? 'message' : 'messages'}`;
}
