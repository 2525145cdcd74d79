// Coalesce drawing into animation frames: a view asks to be redrawn as often as
// it likes; each view draws at most once per displayed frame.

const pending = new Map();
let scheduled = false;

function flush() {
  scheduled = false;
  const jobs = [...pending.values()];
  pending.clear();
  for (const job of jobs) job();
}

/** Run `fn` in the next animation frame; a later request with the same key replaces it. */
export function schedule(key, fn) {
  pending.set(key, fn);
  if (!scheduled) {
    scheduled = true;
    requestAnimationFrame(flush);
  }
}
