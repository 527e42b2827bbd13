// Shaping of the sync progress the Go side reports (app/sync.go): rates,
// ETAs, durations, percentages and the status line's sentence.

/** "1,234" */
export function formatCount(n: number, locale = 'en'): string {
  return new Intl.NumberFormat(locale).format(Math.round(n));
}

/** "840/s", "12.5/s", "0.3/s"; "—" when nothing moved yet. */
export function formatRate(perSec: number, locale = 'en'): string {
  if (!Number.isFinite(perSec) || perSec <= 0) return '—';
  const digits = perSec >= 100 ? 0 : 1;
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: digits }).format(perSec)}/s`;
}

/** Seconds as "45 s", "3 min 5 s", "2 h 4 min"; "" for a negative (unknown) value. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '';
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) {
    const m = Math.floor(t / 60);
    const r = t % 60;
    return r ? `${m} min ${r} s` : `${m} min`;
  }
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** The ETA column: "about 3 min left", "done", "estimating…". */
export function formatEta(etaSeconds: number, finished = false): string {
  if (finished) return 'done';
  if (!Number.isFinite(etaSeconds) || etaSeconds < 0) return 'estimating…';
  if (etaSeconds < 1) return 'almost done';
  return `about ${formatSeconds(etaSeconds)} left`;
}

/** Milliseconds as a duration: "850 ms", "12 s", "3 min 5 s". */
export function formatDurationMs(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return formatSeconds(ms / 1000);
}

/** A progress bar's width in percent (0..100), or null when unknown. */
export function barPercent(percent: number): number | null {
  if (!Number.isFinite(percent) || percent < 0) return null;
  return Math.min(100, Math.max(0, percent));
}

/** "45%" (whole percent; "99%" until really done); "" when unknown. */
export function formatPercent(percent: number, done = false): string {
  if (done) return '100%';
  const p = barPercent(percent);
  if (p === null) return '';
  return `${Math.min(99, Math.floor(p))}%`;
}

/** Object type names as the UI says them: "subscription_items" -> "subscription items". */
export function typeLabel(type: string): string {
  return type.replace(/_/g, ' ');
}

export interface LineTypeProgress {
  type: string;
  done: number;
  total: number;
  percent: number;
  finished: boolean;
}

export interface LineInput {
  state: string;
  phase?: string;
  types: LineTypeProgress[];
  percent: number;
  online: boolean;
  dataAsOf: string;
  demo?: boolean;
}

/**
 * The status line's sync sentence: "Syncing customers 45%", "Syncing
 * events", "Synced 3 minutes ago", "Offline, showing data from Mar 4,
 * 2026", "Never synced". relative formats a time relative to now; date an
 * absolute date.
 */
export function statusLine(i: LineInput, relative: (s: string) => string, date: (s: string) => string): string {
  if (i.state === 'running' || i.state === 'cancelling') {
    if (i.state === 'cancelling') return 'Cancelling sync…';
    if (i.phase === 'events') return 'Syncing recent changes';
    const current = i.types.find((t) => !t.finished && t.done > 0) ?? i.types.find((t) => !t.finished);
    if (!current) return 'Syncing…';
    const pct = formatPercent(current.percent);
    return `Syncing ${typeLabel(current.type)}${pct ? ' ' + pct : ''}`;
  }
  if (!i.online) return i.dataAsOf ? `Offline, showing data from ${date(i.dataAsOf)}` : 'Offline, nothing synced yet';
  if (i.demo) return i.dataAsOf ? `Demo snapshot from ${date(i.dataAsOf)}` : 'Demo snapshot';
  if (!i.dataAsOf) return 'Never synced';
  return `Synced ${relative(i.dataAsOf)}`;
}
