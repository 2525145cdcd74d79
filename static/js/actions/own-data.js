// Own data: an empty canvas to draw on, a pasted or uploaded table, the bundled real
// datasets (Iris, digits). Each makes a new session whose network fits the data: d inputs,
// a softmax over k classes with cross-entropy (k > 2), a sigmoid with BCE (2 classes), or a
// linear output with MSE (regression).

import { api } from "../api.js";
import { clone } from "../spec.js";
import { classOf, nextPlane, planeOf, tableNetwork } from "../own-data.js";

/** @param {import("./context.js").Context} ctx */
export function ownDataActions({ store, st, run, reads }, createFromSpec) {
  /** @param {any} table  a POST /api/tables or GET /api/tables/{name} answer */
  function useTable(table) {
    store.set({ playing: false });
    return run(async () => {
      const spec = clone(st().spec);
      spec.dataset = table.dataset;
      spec.network = tableNetwork(table, spec.network);
      if (table.image) spec.training = { ...spec.training, optimizer: "adam", learning_rate: 0.01, batch_size: 32 };
      else if (table.kind === "classification") spec.training = { ...spec.training, optimizer: "adam", learning_rate: 0.03, batch_size: 10 };
      await createFromSpec(spec, { name: table.name, columns: table.columns, classes: table.classes, image: table.image, target: table.target });
    });
  }

  return {
    useTable,

    /** The network's class for every test row (POST /forward over the test set), at this step. */
    fetchPredictions() {
      return run(async () => {
        const s = st().session;
        const n = s?.dataset?.n_test ?? 0;
        if (!n || s.dataset.kind !== "classification") return;
        const r = await api.forward(s.id, { indices: Array.from({ length: n }, (_, i) => i), split: "test" });
        if (st().session?.id !== s.id) return;
        store.set({ predictions: { id: s.id, step: s.step, predicted: classOf(r.output), truth: classOf(s.dataset.test_y) } });
      });
    },

    /**
     * The two features the plots and the boundary span (0-based); choosing the other axis's
     * feature swaps them. While paused the grid is fetched again (Play's stream follows it).
     * @param {number} fx @param {number} fy
     */
    setPlane(fx, fy) {
      store.set({ plane: nextPlane(planeOf(st()), fx, fy) });
      if (!st().playing) return run(() => reads.fetchBoundary());
      return Promise.resolve();
    },

    /** @param {boolean} on  many inputs drawn as one node (false: each input) */
    setInputsGrouped(on) { store.set({ inputsGrouped: on }); },

    /** @param {number} value  the class (or target) a click on the data plot adds */
    setDrawLabel(value) { store.set({ drawLabel: value }); },

    /**
     * Parse CSV/TSV text on the server (nothing is kept): the preview, or an Error whose
     * message names the first bad cell.
     * @param {string} text
     * @param {{target?: string | null, header?: boolean | null}} options
     */
    parseTable(text, { target = null, header = null } = {}) {
      return api.parseTable(text, { target, header, test_fraction: 0.2 });
    },

    /** @param {"iris" | "digits"} name */
    async loadBundled(name) {
      const table = await run(() => api.bundled(name));
      if (table) await useTable(table);
    },

    /** Clear the data: an empty 2-D canvas of the current kind (classification unless regression). */
    clearData() {
      store.set({ playing: false });
      return run(async () => {
        const spec = clone(st().spec);
        const kind = st().session?.dataset?.kind === "regression" ? "regression" : "classification";
        spec.dataset = { x: [], y: [], kind, input_dim: 2, name: "drawn" };
        spec.network = tableNetwork({ columns: ["x1", "x2"], kind, classes: kind === "regression" ? [] : ["0", "1"] }, spec.network);
        await createFromSpec(spec, null);
      });
    },
  };
}
