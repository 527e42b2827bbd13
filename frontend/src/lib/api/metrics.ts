// Typed calls to the Go MetricsService (app/metrics.go) for the Dashboard.
import * as MetricsService from '../../../wailsjs/go/app/MetricsService';
import { call } from './bridge';
import type { KPI, MonthRow } from '../components/dashboard/metrics';

export interface DashboardQuery {
  from: string; // YYYY-MM-DD, inclusive
  to: string;
  currency: string; // "" picks the currency with the most MRR
}

export interface DayRow {
  day: string;
  mrr: number;
  subscribers: number;
  new: number;
  expansion: number;
  reactivation: number;
  contraction: number;
  churn: number;
}

export interface CohortPeriod {
  offset: number;
  customers: number;
  mrr: number;
  customerRetention: number | null;
  mrrRetention: number | null;
}

export interface Cohort {
  month: string;
  customers: number;
  newMrr: number;
  periods: CohortPeriod[];
}

export interface PlanRow {
  product: string;
  name: string;
  mrr: number;
  subscribers: number;
}

export interface CurrencyRow {
  currency: string;
  mrr: number;
  subscribers: number;
  test: boolean;
}

export interface TrialMonth {
  month: string;
  newTrials: number;
  ended: number;
  converted: number;
  conversion: number | null;
}

export interface CashMonth {
  month: string;
  collected: number;
  refunded: number;
  net: number;
  charges: number;
  refunds: number;
}

export interface MetricsFreshness {
  lastSyncAt: string;
  builtAt: string;
  customers: number;
  points: number;
}

export interface Dashboard {
  from: string;
  to: string;
  prevFrom: string;
  prevTo: string;
  currency: string;
  currencies: string[];
  test: boolean;
  kpis: KPI[];
  daily: DayRow[];
  months: MonthRow[];
  cohorts: Cohort[];
  byPlan: PlanRow[];
  byCurrency: CurrencyRow[];
  trials: TrialMonth[];
  cash: CashMonth[];
  freshness: MetricsFreshness;
}

export interface BehindRow {
  customer: string;
  name: string;
  amount: number;
}

export interface MetricSetting {
  name: string; // e.g. discount-mode
  value: string;
  default: string;
  choices: string[]; // empty: free text
  explanation: string;
}

export function getDashboard(q: DashboardQuery): Promise<Dashboard> {
  return call(() => MetricsService.Dashboard(q) as unknown as Promise<Dashboard>);
}

export async function customersBehind(movement: string, month: string, currency: string): Promise<BehindRow[]> {
  return ((await call(() => MetricsService.CustomersBehind(movement, month, currency))) ?? []) as unknown as BehindRow[];
}

export async function metricSettings(): Promise<MetricSetting[]> {
  return ((await call(() => MetricsService.MetricSettings())) ?? []) as unknown as MetricSetting[];
}

export async function setMetricSettings(values: Record<string, string>): Promise<MetricSetting[]> {
  return ((await call(() => MetricsService.SetMetricSettings(values))) ?? []) as unknown as MetricSetting[];
}

/** Asks where to save and writes the CSV; returns the path, "" when cancelled. */
export function saveCSV(defaultName: string, content: string): Promise<string> {
  return call(() => MetricsService.SaveCSV(defaultName, content));
}
