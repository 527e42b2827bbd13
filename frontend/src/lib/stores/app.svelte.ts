// Facts about the running application (version, data folder).
import { AppError, getInfo, type Info } from '../api';

class AppInfoStore {
  info = $state<Info | null>(null);
  error = $state<AppError | null>(null);

  async refresh(): Promise<void> {
    try {
      this.info = await getInfo();
      this.error = null;
    } catch (e) {
      this.error = AppError.from(e);
    }
  }
}

export const appInfo = new AppInfoStore();
