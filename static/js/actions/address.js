// The page address's actions (issue 17): open the view an address names, go back to a
// session by its id, start fresh when an address names a session that is gone, branch
// from a stored snapshot, and train to a target (N steps or N epochs).

import { api } from "../api.js";
import { t } from "../i18n.js";
import { columnsToRecords, stepPatch, stepRecords, withRecords } from "../patches.js";
import { clone } from "../spec.js";
import { emptyHistory } from "../store.js";
import { fitToSession } from "../url-state.js";

const MAX_STEPS_PER_CALL = 10000; // the server's default limits.max_steps

/**
 * Steps that make `epochs` passes over `nTrain` points with minibatches of `batch`.
 * @param {number} epochs @param {number} nTrain @param {number} batch
 */
export function stepsForEpochs(epochs, nTrain, batch) {
  return Math.ceil((epochs * nTrain) / Math.max(1, Math.min(batch, nTrain)));
}

/**
 * @param {import("./context.js").Context} ctx
 * @param {{loadSession: (id: string) => Promise<void>, loadOrLost: (id: string) => Promise<void>, createFromSpec: (spec: object) => Promise<unknown>}} sessions
 */
export function addressActions({ store, st, sessionId, run, reads }, { loadSession, loadOrLost, createFromSpec }) {
  return {
    /**
     * Show the view an address names on the current session: selection, edge mode, sample,
     * speed; answers the keys that did not fit the session (their defaults are used).
     * @param {Record<string, any>} values  url-state.js parseAddress().values
     * @returns {Promise<string[]>}
     */
    async openView(values) {
      const bad = await run(async () => {
        const s = st().session;
        if (!s) return [];
        const fitted = fitToSession(s, values);
        const v = fitted.values;
        const sample = v.sample ?? { split: "train", index: 0 };
        const now = st().sample;
        /** @type {Record<string, any>} */
        const patch = { selection: v.sel ?? null, edgeMode: v.edges ?? "weight", speed: v.speed ?? 2 };
        const moved = sample.split !== now.split || sample.index !== now.index;
        if (moved) Object.assign(patch, { sample, backward: null });
        store.set(patch);
        if (moved) await reads.fetchForward(false);
        return fitted.bad;
      });
      return bad ?? [];
    },

    /** @param {string} id  back/forward to an address of another session */
    openSession(id) {
      return run(async () => {
        if (st().session?.id === id) return;
        store.set({ playing: false });
        await loadOrLost(id);
      });
    },

    /** The notice of a lost session: carry on with the default network. */
    startFresh() {
      return run(() => createFromSpec(clone(st().catalog.defaults)));
    },

    /**
     * Continue from a stored snapshot: a new session at `step` (POST /branch) becomes the page's.
     * @param {number} step
     */
    branchFrom(step) {
      store.set({ playing: false });
      return run(async () => {
        const s = await api.branch(sessionId(), step);
        await loadSession(s.id);
        store.emit("error", { level: "info", title: t("branch.title", "Continue from here"), message: t("branch.done", "A new session continues from step {s}; the original is unchanged (Back returns to it).", { s: step }) });
      });
    },

    /**
     * Train to a target: `n` steps, or `n` epochs of the training set, in calls the server allows.
     * @param {number} n
     * @param {"steps" | "epochs"} unit
     */
    runTarget(n, unit) {
      store.set({ playing: false });
      return run(async () => {
        const s0 = st().session;
        let left = unit === "epochs" ? stepsForEpochs(n, s0.dataset.n_train, s0.training.batch_size) : n;
        while (left > 0) {
          const s = st().session;
          const r = await api.step(s.id, { steps: Math.min(left, MAX_STEPS_PER_CALL), trace: false });
          if (sessionId() !== s.id) return;
          store.set({ ...stepPatch(s, r, false), history: withRecords(st().history, stepRecords(r)) });
          left -= r.applied_steps;
          if (r.diverged || !r.applied_steps) {
            store.emit("error", { title: t("toast.diverged", "Diverged"), message: r.message });
            break;
          }
        }
        // the rows between records differ from the page's own: the stored history is the truth
        const m = await api.metrics(s0.id, 0);
        if (sessionId() === s0.id) store.set({ history: withRecords(emptyHistory(), columnsToRecords(m)) });
        await reads.refresh({ animate: false });
      });
    },
  };
}
