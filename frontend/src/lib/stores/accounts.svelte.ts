// The registered Stripe accounts and the one the app shows.
import { AppError, EVENTS, listAccounts, on, type Account } from '../api';

const SELECTED_KEY = 'billfold.selectedAccount';

class AccountsStore {
  list = $state<Account[]>([]);
  selectedId = $state<string>('');
  loaded = $state(false);
  error = $state<AppError | null>(null);

  readonly current = $derived(this.list.find((a) => a.id === this.selectedId) ?? this.list[0] ?? null);

  async refresh(): Promise<void> {
    try {
      this.set(await listAccounts());
      this.error = null;
    } catch (e) {
      this.error = AppError.from(e);
    } finally {
      this.loaded = true;
    }
  }

  select(id: string): void {
    this.selectedId = id;
    try {
      localStorage.setItem(SELECTED_KEY, id);
    } catch {
      // storage unavailable: the choice lasts for this session
    }
  }

  start(): () => void {
    try {
      this.selectedId = localStorage.getItem(SELECTED_KEY) ?? '';
    } catch {
      this.selectedId = '';
    }
    void this.refresh();
    return on(EVENTS.accountsChanged, (p) => this.set(p.accounts ?? []));
  }

  private set(list: Account[]): void {
    this.list = list;
  }
}

export const accounts = new AccountsStore();
