// The sync engine's state: the status line's (SyncService.Status, the
// sync:status event) and the Sync screen's detail (SyncService.Detail, the
// sync:progress event), with Start and Cancel.
import {
  AppError, EVENTS, cancelSync, getSyncDetail, getSyncStatus, on, startSync, type SyncDetail, type SyncStatus,
} from '../api';

export const emptyDetail: SyncDetail = {
  state: 'idle', accountId: '', demo: false, needsKey: false, online: true, dataAsOf: '', intervalMinutes: 0,
  nextRunAt: '', gentle: false,
} as SyncDetail;

class SyncStore {
  status = $state<SyncStatus>({ state: 'idle', accountId: '', lastSyncAt: '' });
  detail = $state<SyncDetail>(emptyDetail);
  error = $state<AppError | null>(null);
  /** The last Start/Cancel call's failure (e.g. a sync already runs). */
  actionError = $state<AppError | null>(null);
  busy = $state(false);

  async refresh(): Promise<void> {
    try {
      this.status = await getSyncStatus();
      this.error = null;
    } catch (e) {
      this.error = AppError.from(e);
    }
    await this.refreshDetail();
  }

  async refreshDetail(): Promise<void> {
    try {
      this.detail = await getSyncDetail();
    } catch {
      // the status line's error above says enough
    }
  }

  /** Starts a sync (full re-lists everything). */
  async run(full: boolean): Promise<void> {
    this.busy = true;
    this.actionError = null;
    try {
      this.detail = await startSync(full);
    } catch (e) {
      this.actionError = AppError.from(e);
    } finally {
      this.busy = false;
    }
  }

  async cancel(): Promise<void> {
    this.actionError = null;
    try {
      this.detail = await cancelSync();
    } catch (e) {
      this.actionError = AppError.from(e);
    }
  }

  get running(): boolean {
    return this.detail.state === 'running' || this.detail.state === 'cancelling';
  }

  /** Loads the state and follows the events (App.svelte calls it once). */
  start(): () => void {
    void this.refresh();
    const offs = [
      on(EVENTS.syncStatus, (s) => (this.status = s)),
      on(EVENTS.syncProgress, (d) => (this.detail = d)),
      on(EVENTS.accountCurrent, () => void this.refreshDetail()),
    ];
    return () => offs.forEach((off) => off());
  }
}

export const sync = new SyncStore();
