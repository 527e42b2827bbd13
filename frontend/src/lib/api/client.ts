// Typed calls to the Go services. Components and stores use these, never
// wailsjs directly.
import * as AppService from '../../../wailsjs/go/app/AppService';
import * as AccountsService from '../../../wailsjs/go/app/AccountsService';
import * as SyncService from '../../../wailsjs/go/app/SyncService';
import * as SettingsService from '../../../wailsjs/go/app/SettingsService';
import { call } from './bridge';
import type { Account, DashboardKind, DeleteResult, DemoStatus, Info, Settings, SyncDetail, SyncStatus } from './types';

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

/** The Sync screen's data: progress, last summary, error, schedule. */
export function getSyncDetail(): Promise<SyncDetail> {
  return call(() => SyncService.Detail());
}

/** Starts a sync of the current account in the background (full re-lists everything). */
export function startSync(full: boolean): Promise<SyncDetail> {
  return call(() => SyncService.Start(full));
}

/** Stops the running sync within a second; the next sync resumes it. */
export function cancelSync(): Promise<SyncDetail> {
  return call(() => SyncService.Cancel());
}

/**
 * Verifies a key with Stripe, stores it in the system keyring and registers
 * the account. The key goes to Go once; the reply holds only its masked form.
 */
export function addAccount(key: string, label: string): Promise<Account> {
  return call(() => AccountsService.Add(key, label));
}

export function renameAccount(id: string, label: string): Promise<Account> {
  return call(() => AccountsService.Rename(id, label));
}

/** Replaces an account's key after verifying it belongs to the same Stripe account. */
export function rotateKey(id: string, key: string): Promise<Account> {
  return call(() => AccountsService.Rotate(id, key));
}

export function verifyAccount(id: string): Promise<Account> {
  return call(() => AccountsService.VerifyAgain(id));
}

/** Removes the account and its key; with deleteData also its local cache. */
export function removeAccount(id: string, deleteData: boolean): Promise<void> {
  return call(() => AccountsService.Remove(id, deleteData));
}

export function currentAccount(): Promise<string> {
  return call(() => AccountsService.Current());
}

export function switchAccount(id: string): Promise<Account> {
  return call(() => AccountsService.Switch(id));
}

/** Starts building the demo workspace; progress arrives as demo:progress events. */
export function createDemo(): Promise<DemoStatus> {
  return call(() => AccountsService.CreateDemo());
}

export function demoStatus(): Promise<DemoStatus> {
  return call(() => AccountsService.DemoStatus());
}

export function getSettings(): Promise<Settings> {
  return call(() => SettingsService.Get());
}

export function saveSettings(syncIntervalMinutes: number, gentle: boolean): Promise<Settings> {
  return call(() => SettingsService.Save(syncIntervalMinutes, gentle));
}

/** Deletes every local cache; with removeKeys also every account and its key. */
export function deleteAllLocalData(removeKeys: boolean): Promise<DeleteResult> {
  return call(() => SettingsService.DeleteAllLocalData(removeKeys));
}
