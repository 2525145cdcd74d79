// Undo and redo of every edit (issue 17): a command stack that knows each edit's inverse.
// Weights and biases set by hand, training settings and added or removed points are
// undone by the inverse edit on the same session; a structural change (layers, widths,
// activations, data set, preset, cleared data, a table) made a new session, so undoing it
// returns to the earlier session (still stored, exactly as it was) and redoing it to the later one.
// A removed point goes back at its own index. Reset and a change of optimiser lose what
// no inverse edit can give back (the step, the optimiser's memory, the minibatch
// position): the session is exported just before, and undo opens a session made from
// that export (POST /networks), equal to the earlier one in every number.

import { api } from "../api.js";

/**
 * @typedef {object} Command
 * @property {() => Promise<unknown>} undo
 * @property {() => Promise<unknown>} redo
 */

const MAX_COMMANDS = 200;

/**
 * Wrap the session edits so each successful one is recorded with its inverse.
 * @param {import("./context.js").Context} ctx
 * @param {Record<string, any>} edits  the session actions (sessions.js)
 * @param {(id: string) => Promise<unknown>} openSession  queued load of a stored session
 */
export function undoActions({ store, st, run }, edits, openSession) {
  /** @type {Command[]} */
  const done = [];
  /** @type {Command[]} */
  const undone = [];
  const publish = () => store.set({ undo: { undo: done.length, redo: undone.length } });

  /** @param {Command} command */
  function record(command) {
    done.push(command);
    if (done.length > MAX_COMMANDS) done.shift();
    undone.length = 0;
    publish();
  }

  /**
   * Run `edit`; if `succeeded()` then, record the command `make()` gives.
   * @param {Promise<unknown>} edit
   * @param {() => boolean} succeeded
   * @param {() => Command} make
   */
  async function recorded(edit, succeeded, make) {
    await edit;
    if (succeeded()) record(make());
  }

  /** An edit that makes a new session: undo goes back to the one before. */
  function structural(name) {
    return (...args) => {
      const before = st().session?.id;
      return recorded(edits[name](...args), () => !!before && st().session?.id !== before, () => {
        const after = st().session.id;
        return { undo: () => openSession(before), redo: () => openSession(after) };
      });
    };
  }

  /**
   * An edit whose undo needs the whole earlier state: export first; undo opens a session
   * made from that export (once), redo the edited session.
   * @param {(...args: any[]) => Promise<unknown>} edit
   */
  function restorable(edit) {
    return async (/** @type {any[]} */ ...args) => {
      const s = st().session;
      const saved = s && await run(() => api.exportSession(s.id));
      if (!saved) return edit(...args);
      /** @type {string | undefined} */
      let copy;
      return recorded(edit(...args), () => st().session !== s && st().session?.id === s.id, () => {
        const after = s.id;
        return {
          async undo() {
            copy ??= /** @type {any} */ (await run(() => api.create(saved)))?.id;
            if (copy) await openSession(copy);
          },
          redo: () => openSession(after),
        };
      });
    };
  }
  const reset = restorable(edits.reset);
  const switchOptimizer = restorable(edits.patchTraining);

  /** @param {any} s @param {{layer: number, kind?: string, row: number, column?: number}} e */
  const valueOf = (s, e) => (e.kind === "bias"
    ? s.network.biases[e.layer - 1][e.row]
    : s.network.weights[e.layer - 1][e.row][e.column ?? 0]);

  /**
   * Remove the last point of `split` at `x` (other edits may have moved it since).
   * @param {"train" | "test"} split @param {number[]} x
   */
  function removeFound(split, x) {
    const rows = st().session.dataset[split === "train" ? "x" : "test_x"];
    let index = rows.length - 1;
    while (index >= 0 && rows[index].some((v, i) => v !== x[i])) index -= 1;
    return index < 0 ? Promise.resolve() : edits.removePoint(split, index);
  }

  return {
    editNetwork: structural("editNetwork"),
    editDataset: structural("editDataset"),
    loadPreset: structural("loadPreset"),
    reset,
    clearData: structural("clearData"),
    useTable: structural("useTable"),
    loadBundled: structural("loadBundled"),

    /** @param {any} edit  PATCH /parameter body */
    editParameter(edit) {
      const s = st().session;
      const before = valueOf(s, edit);
      return recorded(edits.editParameter(edit),
        () => st().session.id === s.id && valueOf(st().session, edit) === edit.value && before !== edit.value,
        () => ({
          undo: () => edits.editParameter({ ...edit, value: before }),
          redo: () => edits.editParameter(edit),
        }));
    },

    /** @param {Record<string, any>} patch  PATCH /training body */
    patchTraining(patch) {
      const s = st().session;
      if (patch.optimizer && patch.optimizer !== s.training.optimizer) return switchOptimizer(patch);
      const before = Object.fromEntries(Object.keys(patch).map((k) => [k, s.training[k]]));
      const changed = () => Object.keys(patch).some((k) => before[k] !== patch[k]);
      return recorded(edits.patchTraining(patch),
        () => st().session.id === s.id && changed() && Object.keys(patch).every((k) => st().session.training[k] === patch[k]),
        () => ({ undo: () => edits.patchTraining(before), redo: () => edits.patchTraining(patch) }));
    },

    /** @param {number[]} x @param {number[]} y */
    addPoint(x, y) {
      const s = st().session;
      return recorded(edits.addPoint(x, y),
        () => st().session.id === s.id && st().session.dataset.n_train === s.dataset.n_train + 1,
        () => ({ undo: () => removeFound("train", x), redo: () => edits.addPoint(x, y) }));
    },

    /** @param {"train" | "test"} split @param {number} index */
    removePoint(split, index) {
      const s = st().session;
      const d = s.dataset;
      const x = (split === "train" ? d.x : d.test_x)[index];
      const y = ((split === "train" ? d.labels : d.test_labels) ?? (split === "train" ? d.y : d.test_y))[index];
      const size = (/** @type {any} */ session) => session.dataset[split === "train" ? "n_train" : "n_test"];
      return recorded(edits.removePoint(split, index),
        () => st().session.id === s.id && size(st().session) === size(s) - 1,
        () => ({ undo: () => edits.addPoint(x, y, split, index), redo: () => edits.removePoint(split, index) }));
    },

    undo() {
      const command = done.pop();
      if (!command) return Promise.resolve();
      undone.push(command);
      publish();
      return command.undo();
    },

    redo() {
      const command = undone.pop();
      if (!command) return Promise.resolve();
      done.push(command);
      publish();
      return command.redo();
    },
  };
}
