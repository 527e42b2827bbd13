// The colour scheme follows the OS (prefers-color-scheme); this mirrors it
// for the places that need to say which one is active.
class Theme {
  dark = $state(false);

  start(): () => void {
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const update = () => (this.dark = mq.matches);
    update();
    mq.addEventListener('change', update);
    return () => mq.removeEventListener('change', update);
  }
}

export const theme = new Theme();
