// Making and changing the page's session: the defaults, presets, shared links, builder,
// data and training edits, added points, parameter edits and reset.

import { plainRefusal } from "../refusals.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { emptyHistory } from "../store.js";
import { validSample, withRecords, columnsToRecords } from "../patches.js";
import { tableFor } from "../own-data.js";
import {
  clone, datasetEntry, datasetKind, dropWeights, explicitDataset, fitNetworkToData, inputDim,
  isBuiltinDataset, specFromSession,
} from "../spec.js";

/** @param {import("./context.js").Context} ctx */
export function sessionActions({ store, st, sessionId, run, reads, tables }) {
  /**
   * The table session `s` shows (own data), kept for its id: undo, redo and the page
   * address open it again with its column names.
   * @param {any} s @param {any} [table]  given when `s` was just made from it (null: none)
   */
  function tableOf(s, table = tableFor(tables, st().table, s)) {
    tables.set(s.id, table);
    return table;
  }

  /**
   * @param {object} spec  a create request
   * @param {any} [table]  the table its data comes from (own data); by default, the current
   *   one when the data is still that table's
   */
  async function createFromSpec(spec, table = undefined) {
    const s = await api.create(spec);
    store.set({
      spec: clone(spec), session: s, table: tableOf(s, table), history: withRecords(emptyHistory(), [s.metrics]), forward: null, backward: null,
      gradient: null, update: null, boundary: null, selection: null, edgeMode: "weight",
      sample: validSample(s, st().sample), lostSession: null,
    });
    await reads.refresh();
    return s;
  }

  /** @param {string} id */
  async function loadSession(id) {
    const s = await api.get(id);
    const spec = specFromSession(s, st().catalog);
    store.set({ spec, session: s, table: tableOf(s), history: emptyHistory(), forward: null, backward: null, gradient: null, update: null, boundary: null, selection: null });
    const m = await api.metrics(id, 0);
    store.set({ history: withRecords(st().history, columnsToRecords(m)) });
    await reads.refresh();
  }

  /**
   * Load session `id`; one the server no longer has sets `lostSession` (the page's notice).
   * @param {string} id
   */
  async function loadOrLost(id) {
    try {
      await loadSession(id);
      store.set({ lostSession: null });
    } catch (err) {
      if (err?.status !== 404) throw err;
      store.set({ lostSession: id, playing: false });
    }
  }

  /**
   * Apply `mutate(spec)` to a copy of the current spec and create a new session from it.
   * @param {(spec: any) => void} mutate
   */
  function rebuild(mutate) {
    store.set({ playing: false });
    return run(async () => {
      const before = st().spec;
      const spec = clone(before);
      mutate(spec);
      const structural =
        JSON.stringify(spec.network.layers) !== JSON.stringify(before.network.layers) ||
        spec.network.init !== before.network.init || spec.network.seed !== before.network.seed ||
        JSON.stringify(spec.network.features) !== JSON.stringify(before.network.features);
      if (structural || !spec.network.weights) dropWeights(spec, st().catalog);
      try {
        await createFromSpec(spec);
      } catch (err) {
        store.set({ spec: clone(before) }); // the controls show the session in force again
        throw err;
      }
    });
  }

  return {
    createFromSpec,
    loadSession,
    loadOrLost,

    /**
     * Load the catalog, then the default session; or, from a classroom link (classroom/),
     * a new session from a shared create request `spec`, or the session `follow` read-only.
     * Or the session an address names (`session`, url-state.js): a lost one sets `lostSession`.
     * @param {{spec?: object | null, follow?: string | null, session?: string | null}} [options]
     */
    init({ spec = null, follow = null, session = null } = {}) {
      return run(async () => {
        const catalog = await api.catalog();
        store.set({ catalog });
        if (follow) {
          store.set({ following: follow });
          await loadSession(follow);
          return;
        }
        if (session) {
          await loadOrLost(session);
          return;
        }
        if (spec) {
          try {
            await createFromSpec(clone(spec));
            return;
          } catch (err) {
            store.emit("error", { ...err, title: t("share.failed", "Shared link"), message: err.message });
          }
        }
        await createFromSpec(clone(catalog.defaults));
      });
    },

    /** @param {{request: object}} preset */
    loadPreset(preset) {
      return run(async () => {
        store.set({ playing: false });
        await createFromSpec(clone(preset.request));
      });
    },

    /**
     * Builder edits: any change to the network makes a new session (same data and training).
     * @param {(network: any, spec: any) => void} mutate
     */
    editNetwork(mutate) {
      return rebuild((spec) => {
        mutate(spec.network, spec);
        fitNetworkToData(spec, st().catalog);
      });
    },

    /**
     * Data edits: a new built-in dataset (or parameters); the network adapts its input/output.
     * @param {object} params
     */
    editDataset(params) {
      return rebuild((spec) => {
        const catalog = st().catalog;
        const oldKind = datasetKind(catalog, spec.dataset);
        const oldDim = inputDim(catalog, spec.dataset, st().session);
        const base = isBuiltinDataset(catalog, spec.dataset) ? spec.dataset : spec.dataset?.source ?? {};
        const entry = datasetEntry(catalog, { ...base, ...params });
        spec.dataset = { ...clone(base), ...params };
        delete spec.dataset.x; delete spec.dataset.y; delete spec.dataset.test_x; delete spec.dataset.test_y; delete spec.dataset.source;
        const kindChanged = entry ? entry.kind !== oldKind : false;
        const dimChanged = entry ? entry.input_dim !== oldDim : false;
        fitNetworkToData(spec, catalog, { kindChanged, dimChanged });
      });
    },

    /** @param {object} patch  training settings to change (PATCH /training) */
    patchTraining(patch) {
      return run(async () => {
        let s;
        try {
          s = await api.patchTraining(sessionId(), patch);
        } catch (err) {
          // the controls show the values in force again (they redraw when `training` is a new object)
          store.set({ session: { ...st().session, training: { ...st().session.training } } });
          // a refused setting is told in plain words beside its field (views/field-errors.js)
          const refusal = plainRefusal(err);
          if (!refusal) throw err;
          store.emit("refused", refusal);
          return;
        }
        const spec = clone(st().spec);
        spec.training = { ...spec.training, ...patch };
        store.set({ session: s, spec });
      });
    },

    /**
     * Click in the data plot: a new training point (label for classification, target for regression).
     * @param {number[]} x
     * @param {number[]} y
     * @param {"train" | "test"} [split]
     * @param {number} [index]  insert before this point (undo of a removal); default: append
     */
    addPoint(x, y, split = "train", index = undefined) {
      return run(async () => {
        const s = await api.addPoint(sessionId(), index === undefined ? { x, y, split } : { x, y, split, index });
        const spec = clone(st().spec);
        spec.dataset = explicitDataset(s, spec, st().catalog);
        store.set({ session: s, spec });
        await (s.dataset.n_train + s.dataset.n_test === 1 ? reads.refresh() : reads.fetchBoundary()); // the first point: a sample to show
      });
    },

    /**
     * Remove point `index` of a split (DELETE /points/{split}/{index}).
     * @param {"train" | "test"} split
     * @param {number} index
     */
    removePoint(split, index) {
      return run(async () => {
        const s = await api.removePoint(sessionId(), split, index);
        const spec = clone(st().spec);
        spec.dataset = explicitDataset(s, spec, st().catalog);
        store.set({ session: s, spec, sample: validSample(s, st().sample), forward: null, backward: null });
        await reads.refresh({ animate: false });
      });
    },

    /**
     * Edit one weight or bias (PATCH /parameter); δ and gradients of the old value are dropped.
     * @param {object} edit
     */
    editParameter(edit) {
      return run(async () => {
        const s = await api.patchParameter(sessionId(), edit);
        store.set({ session: s, backward: null, gradient: null, update: null });
        await reads.refresh({ animate: false });
      });
    },

    reset() {
      return run(async () => {
        store.set({ playing: false });
        const s = await api.reset(sessionId());
        store.set({ session: s, history: withRecords(emptyHistory(), [s.metrics]), backward: null, gradient: null, update: null });
        await reads.refresh({ animate: false });
      });
    },
  };
}
