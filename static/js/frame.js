// Coalesce drawing into animation frames: a view asks to be redrawn as often as
// it likes; each view draws at most once per displayed frame.

/** @type {Map<string, () => void>} */
const pending = new Map();
let scheduled = false;

function flush() {
  scheduled = false;
  const jobs = [...pending.values()];
  pending.clear();
  for (const job of jobs) job();
}

/**
 * Run `fn` in the next animation frame; a later request with the same key replaces it.
 * @param {string} key
 * @param {() => void} fn
 */
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
  /** @type {unknown[] | null} */
  let last = null;
  return (/** @type {unknown[]} */ ...deps) => {
    const prev = last;
    const same = prev !== null && prev.length === deps.length && deps.every((d, i) => Object.is(d, prev[i]));
    last = deps;
    return !same;
  };
}
