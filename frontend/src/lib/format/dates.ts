// Times arrive from Go as RFC 3339 strings; "" means "never".

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Parses an RFC 3339 time; null for "" or anything that is not one. */
export function parseTime(s: string | null | undefined): Date | null {
  if (!s || !RFC3339.test(s)) return null;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? null : d;
}

export interface DateFormatOptions {
  locale?: string;
  timeZone?: string;
}

/** "Mar 4, 2026"; "—" when there is no time. */
export function formatDate(s: string, o: DateFormatOptions = {}): string {
  const d = parseTime(s);
  if (!d) return '—';
  return new Intl.DateTimeFormat(o.locale, { dateStyle: 'medium', timeZone: o.timeZone }).format(d);
}

/** "Mar 4, 2026, 5:06 AM"; "—" when there is no time. */
export function formatDateTime(s: string, o: DateFormatOptions = {}): string {
  const d = parseTime(s);
  if (!d) return '—';
  return new Intl.DateTimeFormat(o.locale, { dateStyle: 'medium', timeStyle: 'short', timeZone: o.timeZone }).format(d);
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 24 * 3600],
  ['month', 30 * 24 * 3600],
  ['week', 7 * 24 * 3600],
  ['day', 24 * 3600],
  ['hour', 3600],
  ['minute', 60],
  ['second', 1],
];

/**
 * "3 minutes ago", "in 2 hours", "yesterday", "just now" (under 45 s);
 * `never` (default "never") when s is empty or not a time.
 */
export function relativeTime(s: string, now: Date, o: { locale?: string; never?: string } = {}): string {
  const d = parseTime(s);
  if (!d) return o.never ?? 'never';
  const seconds = Math.round((d.getTime() - now.getTime()) / 1000);
  if (Math.abs(seconds) < 45) return 'just now';
  const rtf = new Intl.RelativeTimeFormat(o.locale ?? 'en', { numeric: 'auto' });
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size || unit === 'second') {
      return rtf.format(Math.sign(seconds) * Math.round(Math.abs(seconds) / size), unit);
    }
  }
  return rtf.format(seconds, 'second');
}
