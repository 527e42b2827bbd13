// A clock for relative times ("3 minutes ago") that ticks every 15 seconds.
class Clock {
  now = $state(new Date());

  start(): () => void {
    const id = setInterval(() => (this.now = new Date()), 15_000);
    return () => clearInterval(id);
  }
}

export const clock = new Clock();
