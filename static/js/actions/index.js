// Everything the page does to the store and the server, grouped by concern; the views call
// these and never write the store themselves. Every request goes through one serial queue
// (queue.js); the state patches are computed by the pure ../patches.js.

import { createQueue } from "./queue.js";
import { createRefresh } from "./refresh.js";
import { sessionActions } from "./sessions.js";
import { playActions } from "./play.js";
import { teachActions } from "./teach.js";
import { classroomActions } from "./classroom.js";
import { lessonActions } from "./lesson.js";
import { ownDataActions } from "./own-data.js";
import { addressActions } from "./address.js";
import { undoActions } from "./undo.js";

/** @param {import("../store.js").Store} store */
export function createActions(store) {
  // a session the server lost is made again from its spec (createFromSpec, below)
  const queue = createQueue(store, (spec) => createFromSpec(spec));
  /** @type {import("./context.js").Context} */
  const ctx = {
    store,
    st: () => store.state,
    sessionId: () => store.state.session?.id,
    run: queue.run,
    pending: queue.pending,
    reads: createRefresh(store),
    tables: new Map(),
  };
  const { createFromSpec, loadSession, loadOrLost, ...sessionEdits } = sessionActions(ctx);
  const address = addressActions(ctx, { loadSession, loadOrLost, createFromSpec });
  const ownData = ownDataActions(ctx, createFromSpec);
  // clearing the data and using a table make new sessions: undone like the builder's edits
  const { clearData, useTable, loadBundled } = ownData;
  return {
    run: queue.run,
    /** @param {string} id */
    loadSession: (id) => queue.run(() => loadSession(id)),
    ...sessionEdits,
    ...address,
    ...ownData,
    ...undoActions(ctx, { ...sessionEdits, clearData, useTable, loadBundled }, address.openSession),
    ...playActions(ctx),
    ...teachActions(ctx),
    ...classroomActions(ctx, loadSession),
    ...lessonActions(ctx, createFromSpec),
  };
}

/** @typedef {ReturnType<typeof createActions>} Actions */
