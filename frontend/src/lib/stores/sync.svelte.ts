// The sync engine's state, from SyncService.Status and the sync:status event.
import { AppError, EVENTS, getSyncStatus, on, type SyncStatus } from '../api';

class SyncStore {
  status = $state<SyncStatus>({ state: 'idle', accountId: '', lastSyncAt: '' });
  error = $state<AppError | null>(null);

  async refresh(): Promise<void> {
    try {
      this.status = await getSyncStatus();
      this.error = null;
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  start(): () => void {
    void this.refresh();
    return on(EVENTS.syncStatus, (s) => (this.status = s));
  }
}

export const sync = new SyncStore();
