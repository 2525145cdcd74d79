// The request queue: every call to the server runs after the one before it, so there is
// never more than one in flight (Play, button clicks and edits all wait their turn).
// A failed job becomes an "error" event that the banner shows; nothing fails silently.

import { t } from "../i18n.js";

/** @typedef {import("../store.js").Store} Store */

/**
 * @param {Store} store
 * @param {(spec: object) => Promise<unknown>} recreate  makes a new session from a spec (sessions.js)
 */
export function createQueue(store, recreate) {
  /** @type {Promise<unknown>} */
  let queue = Promise.resolve();
  let pendingCount = 0;
  const st = () => store.state;

  /**
   * Run `job` after every earlier job; report its error in the page.
   * @template T
   * @param {() => T | Promise<T>} job
   * @returns {Promise<T | undefined>}
   */
  function run(job) {
    pendingCount += 1;
    store.set({ busy: true });
    const p = queue.then(job).catch(async (err) => {
      if (st().playing) store.set({ playing: false });
      store.emit("error", err);
      // the session is gone (e.g. a server with a fresh database): carry on with a new one
      // (not when following someone else's session read-only: that page must not make its own)
      if (err?.status === 404 && st().spec && st().session && !st().following) {
        try {
          await recreate(st().spec);
          store.emit("error", { level: "info", title: t("toast.newSession", "New session"), message: t("toast.newSessionText", "The server no longer knew this session, so the page created a new one with the same settings.") });
        } catch (again) {
          store.emit("error", again);
        }
      }
      return undefined;
    }).finally(() => {
      pendingCount -= 1;
      if (pendingCount === 0) store.set({ busy: false });
    });
    queue = p;
    return p;
  }

  return {
    run,
    /** Jobs queued or running (the current one included). */
    pending: () => pendingCount,
  };
}
