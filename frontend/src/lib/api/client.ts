// Typed calls to the Go services. Components and stores use these, never
// wailsjs directly.
import * as AppService from '../../../wailsjs/go/app/AppService';
import * as AccountsService from '../../../wailsjs/go/app/AccountsService';
import * as SyncService from '../../../wailsjs/go/app/SyncService';
import { call } from './bridge';
import type { Account, DashboardKind, Info, SyncStatus } from './types';

export function getInfo(): Promise<Info> {
  return call(() => AppService.Info());
}

/**
 * Opens the Stripe Dashboard page of an object in the default browser. The
 * address is built and checked on the Go side; this returns it.
 */
export function openStripeDashboard(kind: DashboardKind, id: string, mode: 'test' | 'live'): Promise<string> {
  return call(() => AppService.OpenStripeDashboard(kind, id, mode));
}

export async function listAccounts(): Promise<Account[]> {
  return (await call(() => AccountsService.List())) ?? [];
}

export function getSyncStatus(): Promise<SyncStatus> {
  return call(() => SyncService.Status());
}
