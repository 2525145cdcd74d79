// The page's state and a tiny event emitter. Views subscribe to the keys they
// draw; the actions (actions/) are the only code that talks to the API and sets
// state. Nothing else is global.

/**
 * The page's state. API answers are typed loosely (any) here; docs/api.md describes their fields.
 * @typedef {object} State
 * @property {any} catalog
 * @property {any} spec
 * @property {any} session
 * @property {Record<string, any[]>} history
 * @property {{split: string, index: number}} sample
 * @property {any} forward
 * @property {any} backward
 * @property {any} gradient
 * @property {any} update
 * @property {any} boundary
 * @property {string} edgeMode
 * @property {boolean} neuronMaps
 * @property {any} selection
 * @property {any} highlightPaths
 * @property {boolean} playing
 * @property {number} speed
 * @property {boolean} busy
 * @property {any} lastStep
 * @property {string | null} following
 * @property {{kind: string, layer: number | null} | null} mirroredPhase
 * @property {any} table
 * @property {number[]} plane
 * @property {number} drawLabel
 * @property {boolean} inputsGrouped
 * @property {any} predictions
 * @property {string | null} lostSession
 * @property {{undo: number, redo: number}} undo
 */
/**
 * @typedef {(payload: any, state: State) => void} Listener
 * @typedef {ReturnType<typeof createStore>} Store
 */

/**
 * The initial state; every key that views may subscribe to is listed here.
 * @returns {State}
 */
function initialState() {
  return {
    catalog: null,       // GET /api/catalog
    spec: null,          // the create request of the current session (no weights unless a preset set them)
    session: null,       // the session as last returned by the API
    history: emptyHistory(), // per-step metrics of this session, columnar
    sample: { split: "train", index: 0 }, // the sample whose values the network view shows
    forward: null,       // {x_raw, x, layers:[{z,a}], sample, weightsStep} forward pass of the sample
    backward: null,      // trace of the sample's backward pass (δ, ∂C/∂W), or null when stale
    gradient: null,      // {source, step, grads:[n_l × n_{l-1}]} last gradient computed (sample or minibatch)
    update: null,        // {step, weights:[ΔW^l], biases:[Δb^l]} the last applied update
    boundary: null,      // GET /boundary answer for the current weights
    edgeMode: "weight",  // what edges show: "weight" | "grad" | "update"
    neuronMaps: true,    // the network view draws neuron maps (too small in a large network): Play streams their grids only then
    selection: null,     // {kind:"node", layer, index} | {kind:"edge", layer, row, column} | null
    highlightPaths: null, // [{edges: ["l:j:k", …], contribution}] paths the network view emphasises (teaching panels)
    playing: false,
    speed: 2,            // index into SPEEDS (actions/play.js)
    busy: false,         // a request is in flight
    lastStep: null,      // {before: session before it, answer: POST /step answer with its trace} of the last Step (exports)
    following: null,     // id of the session this page follows read-only (?follow=<id>), or null
    mirroredPhase: null, // {kind: "forward" | "backward" | "update" | "idle", layer}: a class's teacher's animation, shown as pushed (classroom/live.js)
    table: null,         // {name, columns, classes, image} of a table or bundled dataset in use (own data)
    plane: [0, 1],       // the two input features the data plot shows when there are more than two
    drawLabel: 1,        // the class (or target value) a click on the data plot adds
    inputsGrouped: true, // more than 16 inputs are drawn as one node (network-group.js)
    predictions: null,   // {id, step, predicted, truth}: the class of every test row at a step (own data)
    lostSession: null,   // id an address named that the server no longer has (views/address.js)
    undo: { undo: 0, redo: 0 }, // edits that can be undone and redone (actions/undo.js)
  };
}

/** @returns {Record<string, any[]>} the columns of GET /metrics, empty */
export function emptyHistory() {
  return { step: [], train_loss: [], test_loss: [], train_accuracy: [], test_accuracy: [], delta_norms: [], grad_norms: [] };
}

/** @param {State} [state] */
export function createStore(state = initialState()) {
  /** @type {Map<string, Set<Listener>>} */
  const listeners = new Map();

  /**
   * @param {string} key
   * @param {any} [payload]
   */
  function emit(key, payload) {
    const set = listeners.get(key);
    if (!set) return;
    for (const fn of [...set]) fn(payload, state);
  }

  return {
    /** The live state object (read it; change it through set()). */
    get state() { return state; },

    /**
     * Merge `patch` into the state; notify subscribers of each changed key, then "change".
     * @param {Partial<State> & Record<string, any>} patch
     */
    set(patch) {
      const now = /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (state));
      const keys = Object.keys(patch).filter((k) => now[k] !== patch[k]);
      if (!keys.length) return;
      Object.assign(state, patch);
      for (const k of keys) emit(k, now[k]);
      emit("change", keys);
    },

    /**
     * Subscribe to one key, several keys, or a plain event name. Returns the unsubscribe function.
     * @param {string | string[]} keys
     * @param {Listener} fn
     */
    on(keys, fn) {
      const list = Array.isArray(keys) ? keys : [keys];
      for (const k of list) {
        const set = listeners.get(k) ?? new Set();
        listeners.set(k, set.add(fn));
      }
      return () => list.forEach((k) => listeners.get(k)?.delete(fn));
    },

    /** Fire a non-state event, e.g. "error" or "animate". */
    emit,
  };
}
