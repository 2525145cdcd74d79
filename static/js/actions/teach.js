// The network view's and the teaching panels' actions: the sample, the selection, the edge
// mode, the forward and backward passes, and the panels' reads (in the same queue).

import { api } from "../api.js";

/** @param {import("./context.js").Context} ctx */
export function teachActions({ store, st, run, reads }) {
  /**
   * A read in the queue for the teaching panels: {answer, session it was computed for}, or null.
   * @template T
   * @param {(id: string) => Promise<T>} call
   */
  function query(call) {
    return run(async () => {
      const s = st().session;
      const answer = await call(s.id);
      return st().session?.id === s.id ? { answer, session: st().session } : null;
    });
  }

  return {
    /** @param {{split: string, index: number}} sample */
    selectSample(sample) {
      return run(async () => {
        store.set({ sample, backward: null });
        await reads.fetchForward(false);
      });
    },

    /** @param {object | null} selection  {kind: "node", layer, index} | {kind: "edge", layer, row, column} | null */
    select(selection) {
      store.set({ selection });
    },

    /** @param {"weight" | "grad" | "update"} edgeMode */
    setEdgeMode(edgeMode) {
      store.set({ edgeMode });
    },

    /** @param {boolean} on  the network view draws neuron maps (Play then streams their grids) */
    setNeuronMaps(on) {
      store.set({ neuronMaps: on });
    },

    forward() {
      return run(() => reads.fetchForward(true));
    },

    /** The sample's backward pass, animated, with the edges switched to ∂C/∂W. */
    backward() {
      return run(async () => {
        await reads.fetchSampleTrace(true, { edgeMode: "grad" });
      });
    },

    /** The selected sample's backward pass without animation or a change of edge mode (the inspector's numbers). */
    inspectSample() {
      return run(() => reads.fetchSampleTrace(false));
    },

    query,

    /** @param {object} body */
    gradcheck(body) {
      return query((id) => api.gradcheck(id, body));
    },

    /** @param {object} body */
    paths(body) {
      return query((id) => api.paths(id, body));
    },

    snapshots() {
      return query((id) => api.snapshots(id));
    },

    /** The next minibatch's trace (and the update, when the server sends it); nothing is consumed. */
    previewStep() {
      return query((id) => api.backward(id, {}));
    },

    /**
     * Show a gradient on the edges (e.g. the previewed minibatch's) and switch them to ∂C/∂W.
     * @param {object} gradient
     */
    showGradient(gradient) {
      store.set({ gradient, edgeMode: "grad" });
    },

    /**
     * Paths the network view should emphasise, or null.
     * @param {object[] | null} paths
     */
    highlightPaths(paths) {
      store.set({ highlightPaths: paths });
    },
  };
}
