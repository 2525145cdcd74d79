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

/**
 * A redraw guard for one part of a view: `changed(a, b, …)` is true when any argument
 * differs (Object.is) from the previous call's. During Play the session object is new
 * every frame while its dataset, layers and most settings are the same objects, so a
 * part that depends only on those is drawn once instead of sixty times a second.
 */
export function changes() {
  let last = null;
  return (...deps) => {
    const same = last !== null && last.length === deps.length && deps.every((d, i) => Object.is(d, last[i]));
    last = deps;
    return !same;
  };
}
