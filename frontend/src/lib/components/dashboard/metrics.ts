// Data shaping for the Dashboard screen: the Go MetricsService's DTOs
// (app/metrics.go) and pure functions over them (ranges, KPI changes,
// stacked movement series, CSV). No DOM, no bindings: tested with vitest.

export type KPIKind = 'money' | 'count' | 'percent';

export interface KPI {
  key: string;
  label: string;
  kind: KPIKind;
  value: number | null; // minor units or a count
  previous: number | null;
  rate: number | null; // percent, 2 decimals
  previousRate: number | null;
  movement?: string;
}

export interface MonthRow {
  month: string; // YYYY-MM
  startMrr: number;
  new: number;
  expansion: number;
  reactivation: number;
  contraction: number;
  churn: number;
  endMrr: number;
  startSubscribers: number;
  endSubscribers: number;
  newSubscribers: number;
  churnedSubscribers: number;
  customerChurnRate: number | null;
  grossMrrChurnRate: number | null;
  netMrrChurnRate: number | null;
  nrr: number | null;
  grr: number | null;
  arpu: number | null;
  ltv: number | null;
}

export type RangePreset = 'this_month' | 'last_30_days' | '12_months' | 'all_time' | 'custom';

export interface DateRange {
  from: string; // YYYY-MM-DD
  to: string;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The UTC calendar day of d as YYYY-MM-DD. */
export function isoDay(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Strict YYYY-MM-DD check (a real calendar day). */
export function isDay(s: string): boolean {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return isoDay(d) === s;
}

/**
 * The range of a preset ending today. allTimeFrom is the first day with
 * data (the dashboard's earliest cohort or the account's creation).
 */
export function presetRange(p: Exclude<RangePreset, 'custom'>, today: Date, allTimeFrom = '2010-01-01'): DateRange {
  const to = isoDay(today);
  const y = today.getUTCFullYear();
  const m = today.getUTCMonth();
  switch (p) {
    case 'this_month':
      return { from: isoDay(new Date(Date.UTC(y, m, 1))), to };
    case 'last_30_days':
      return { from: isoDay(new Date(Date.UTC(y, m, today.getUTCDate() - 29))), to };
    case '12_months':
      return { from: isoDay(new Date(Date.UTC(y, m - 11, 1))), to };
    case 'all_time':
      return { from: allTimeFrom, to };
  }
}

/** Checks a custom range; returns a one-line problem or null. */
export function rangeProblem(r: DateRange): string | null {
  if (!isDay(r.from)) return 'The start date must be a real date (YYYY-MM-DD).';
  if (!isDay(r.to)) return 'The end date must be a real date (YYYY-MM-DD).';
  if (r.to < r.from) return 'The range ends before it starts.';
  return null;
}

export interface Change {
  /** Absolute difference (minor units, count, or percentage points). */
  delta: number | null;
  /** Relative change in percent for money and counts; null for rates or a zero base. */
  percent: number | null;
  direction: 'up' | 'down' | 'flat' | 'none';
  /** Whether the change is good news (churn going down is good). */
  good: boolean | null;
}

const lowerIsBetter = new Set(['customer_churn', 'net_mrr_churn']);

/** The change of a KPI vs the previous period. */
export function kpiChange(k: KPI): Change {
  const cur = k.kind === 'percent' ? k.rate : k.value;
  const prev = k.kind === 'percent' ? k.previousRate : k.previous;
  if (cur == null || prev == null) return { delta: null, percent: null, direction: 'none', good: null };
  const delta = k.kind === 'percent' ? Math.round((cur - prev) * 100) / 100 : cur - prev;
  const percent = k.kind === 'percent' || prev === 0 ? null : Math.round(((cur - prev) / Math.abs(prev)) * 10000) / 100;
  const direction = delta > 0 ? 'up' : delta < 0 ? 'down' : 'flat';
  const good = direction === 'flat' ? null : (direction === 'up') !== lowerIsBetter.has(k.key);
  return { delta, percent, direction, good };
}

export const movementKeys = ['new', 'expansion', 'reactivation', 'contraction', 'churn'] as const;
export type Movement = (typeof movementKeys)[number];

/**
 * Stacked bars of monthly movements: gains stack up from 0, losses down
 * from 0. Returns per movement the [bottom, top] of each month's bar.
 */
export function stackMovements(months: MonthRow[]): Record<Movement, [number, number][]> {
  const out = {} as Record<Movement, [number, number][]>;
  for (const k of movementKeys) out[k] = [];
  for (const m of months) {
    let up = 0;
    let down = 0;
    for (const k of movementKeys) {
      const v = m[k];
      if (k === 'contraction' || k === 'churn') {
        out[k].push([down - v, down]);
        down -= v;
      } else {
        out[k].push([up, up + v]);
        up += v;
      }
    }
  }
  return out;
}

/** Whether a month's roll-forward balances exactly (as Go guarantees). */
export function balanced(m: MonthRow): boolean {
  return m.startMrr + m.new + m.expansion + m.reactivation - m.contraction - m.churn === m.endMrr;
}

function csvCell(v: string | number | null | undefined): string {
  if (v == null) return '';
  const s = String(v);
  // a leading = + - @ would be a formula in a spreadsheet
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** CSV (RFC 4180, CRLF) of a header row and rows. */
export function toCSV(header: string[], rows: (string | number | null)[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** Minor units as a plain decimal string for CSV (no grouping, no symbol). */
export function minorToDecimal(amount: number, digits: number): string {
  if (digits === 0) return String(amount);
  const neg = amount < 0;
  const a = Math.abs(amount);
  const base = 10 ** digits;
  const s = `${Math.floor(a / base)}.${String(a % base).padStart(digits, '0')}`;
  return neg ? `-${s}` : s;
}

/** Cohort heatmap shade (0..1) for a retention percentage; null stays blank. */
export function heat(pct: number | null): number | null {
  if (pct == null) return null;
  return Math.max(0, Math.min(1, pct / 100));
}
