export { AppError, type ErrorCode } from './errors';
export { hasBackend } from './bridge';
export { getInfo, listAccounts, getSyncStatus, openStripeDashboard } from './client';
export { EVENTS, on, type EventName, type EventPayloads } from './events';
export type { Account, AccountMode, DashboardKind, Info, SyncState, SyncStatus } from './types';
