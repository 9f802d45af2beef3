import type { Address } from '../../../../shared/contract';

/** The sender as people read it: the name when there is one, else the address. */
export function senderOf(from: readonly Address[]): string {
  const a = from[0];
  if (!a) return '(no sender)';
  return a.name.trim() || a.address || '(no sender)';
}

const sameDay = (a: Date, b: Date) =>
  a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();

/** Today: the time; this year: day and month; older: the date. In the person's locale. */
export function listDate(ms: number, now: Date = new Date()): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '';
  if (sameDay(d, now)) return d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
  if (d.getFullYear() === now.getFullYear()) return d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
  return d.toLocaleDateString(undefined, { dateStyle: 'medium' });
}
