export { AppError, type ErrorCode } from './errors';
export { hasBackend } from './bridge';
export {
  getInfo, listAccounts, getSyncStatus, getSyncDetail, startSync, cancelSync, openStripeDashboard, addAccount, renameAccount, rotateKey, verifyAccount,
  removeAccount, currentAccount, switchAccount, createDemo, demoStatus, getSettings, saveSettings, deleteAllLocalData,
} from './client';
export { EVENTS, on, type EventName, type EventPayloads } from './events';
export type {
  Account, AccountMode, DashboardKind, DeleteResult, DemoStatus, Info, Permission, Settings, SyncState, SyncStatus,
  SyncDetail, SyncProgress, SyncRunState, SyncSummary, SyncTypeProgress,
} from './types';
export { getDashboard, customersBehind, metricSettings, setMetricSettings, saveCSV } from './metrics';
export type {
  BehindRow, CashMonth, Cohort, CohortPeriod, CurrencyRow, Dashboard, DashboardQuery, DayRow, MetricSetting,
  MetricsFreshness, PlanRow, TrialMonth,
} from './metrics';
