import type { Address } from '../../../../shared/contract';

const UNITS = ['byte', 'kilobyte', 'megabyte', 'gigabyte', 'terabyte'] as const;

/** A size in the person's locale: "512 byte", "1.5 kB", "12 MB" (1 kB = 1024 bytes, as file managers do). */
export function formatSize(bytes: number, locale?: string): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return new Intl.NumberFormat(locale, {
    style: 'unit',
    unit: UNITS[unit] ?? 'byte',
    unitDisplay: unit === 0 ? 'long' : 'short',
    maximumFractionDigits: unit === 0 || value >= 10 ? 0 : 1,
  }).format(value);
}

/** The full date and time of a message, in the person's locale. */
export function fullDate(ms: number, locale?: string): string {
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return '';
  return d.toLocaleString(locale, { dateStyle: 'full', timeStyle: 'short' });
}

/** "Name <address>", or the address alone when there is no name. */
export function formatAddress(a: Address): string {
  const name = a.name.trim();
  if (!name) return a.address;
  if (!a.address) return name;
  return `${name} <${a.address}>`;
}
