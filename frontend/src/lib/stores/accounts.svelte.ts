// The registered Stripe accounts, the one the app shows (kept on the Go side
// in settings.json), and the demo workspace's build.
import {
  AppError, EVENTS, createDemo, currentAccount, demoStatus, listAccounts, on, switchAccount,
  type Account, type DemoStatus,
} from '../api';

class AccountsStore {
  list = $state<Account[]>([]);
  selectedId = $state<string>('');
  loaded = $state(false);
  error = $state<AppError | null>(null);
  demo = $state<DemoStatus>({ state: 'idle', phase: '', objects: 0, customers: 0, elapsedMs: 0, account: '' });

  readonly current = $derived(this.list.find((a) => a.id === this.selectedId) ?? this.list[0] ?? null);
  readonly demoRunning = $derived(this.demo.state === 'running');

  async refresh(): Promise<void> {
    try {
      const [list, cur] = await Promise.all([listAccounts(), currentAccount()]);
      this.list = list;
      this.selectedId = cur;
      this.error = null;
    } catch (e) {
      this.error = AppError.from(e);
    } finally {
      this.loaded = true;
    }
  }

  /** Makes id the account every screen shows (saved by the Go side). */
  async select(id: string): Promise<void> {
    const before = this.selectedId;
    this.selectedId = id;
    try {
      await switchAccount(id);
      this.error = null;
    } catch (e) {
      this.selectedId = before;
      this.error = AppError.from(e);
    }
  }

  /** Starts building the demo workspace; the app switches to it when done. */
  async startDemo(): Promise<void> {
    try {
      this.demo = await createDemo();
      this.error = null;
    } catch (e) {
      this.error = AppError.from(e);
    }
  }

  start(): () => void {
    void this.refresh();
    void demoStatus().then((d) => (this.demo = d)).catch(() => {});
    const stops = [
      on(EVENTS.accountsChanged, (p) => (this.list = p.accounts ?? [])),
      on(EVENTS.accountCurrent, (p) => (this.selectedId = p.id)),
      on(EVENTS.demoProgress, (p) => (this.demo = p)),
    ];
    return () => stops.forEach((s) => s());
  }
}

export const accounts = new AccountsStore();
