// Online or offline, from navigator.onLine and its events.
class Connectivity {
  online = $state(true);

  start(): () => void {
    const update = () => (this.online = navigator.onLine);
    update();
    window.addEventListener('online', update);
    window.addEventListener('offline', update);
    return () => {
      window.removeEventListener('online', update);
      window.removeEventListener('offline', update);
    };
  }
}

export const connectivity = new Connectivity();
