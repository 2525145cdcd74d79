// Pure state patches: how an API answer or a stream frame becomes the store's next values.
// No requests, no store, no DOM: the actions (actions/) fetch and apply, this module
// computes, and tests/js/patches.test.js holds it to exact values.

/**
 * @typedef {number[][]} Matrix       W^l or ∂C/∂W^l: n_l rows of n_{l−1}
 * @typedef {ArrayLike<number>} Row    a row as a plain array or a stream frame's typed array
 * @typedef {{split: string, index: number}} Sample
 * @typedef {Record<string, any[]>} History  columnar metrics; `step` strictly increasing
 * @typedef {{grad_weights: Matrix, grad_biases: number[]}} LayerGradient  one layer of a trace
 * @typedef {{source: "sample" | "minibatch", step: number, weights: Matrix[], biases: number[][],
 *            sample?: Sample, indices?: number[]}} Gradient
 * @typedef {{step: number, weights: Matrix[], biases: number[][] | null, steps: number,
 *            animate: boolean, seq?: number}} Update
 */

/**
 * A typed array (a stream frame's row) as a plain array, which the rest of the page expects.
 * @param {Row} values
 * @returns {number[]}
 */
export function plain(values) {
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

/**
 * ΔW^l = after − before for every layer, row by row (the change a run of steps made).
 * @param {ArrayLike<Row>[]} after   the new weights, per layer l = 1 … L
 * @param {ArrayLike<Row>[]} before  the weights they replace, same shapes
 * @returns {Matrix[]}
 */
function weightChange(after, before) {
  return Array.from(after, (W, l) => Array.from(W, (row, j) => {
    const prev = before[l][j];
    const out = new Array(row.length);
    for (let k = 0; k < row.length; k++) out[k] = row[k] - prev[k];
    return out;
  }));
}

/**
 * The gradient a trace's layers carry (∂C/∂W^l and ∂C/∂b^l for l = 1 … L), tagged with where it
 * came from: one sample's backward pass or the minibatch of the step taken at `step`.
 * @param {"sample" | "minibatch"} source
 * @param {LayerGradient[]} layers
 * @param {{step: number, sample?: Sample, indices?: number[]}} about
 * @returns {Gradient}
 */
function gradientOf(source, layers, about) {
  return { source, ...about, weights: layers.map((l) => l.grad_weights), biases: layers.map((l) => l.grad_biases) };
}

/**
 * The session after steps: the new step, weights (and biases) and metrics; everything else
 * (dataset, training, init, seed, features) stays as it was.
 * @template {{network: object, metrics?: any}} S
 * @param {S} session
 * @param {number} step
 * @param {object} network  the changed fields of the network (weights, biases)
 * @param {any} [metrics]
 * @returns {S & {step: number}}
 */
function advancedSession(session, step, network, metrics) {
  return { ...session, step, network: { ...session.network, ...network }, metrics: metrics ?? session.metrics };
}

/**
 * Rows of a `/metrics` answer (columns) as records {step, train_loss, …}.
 * @param {Record<string, any> | null | undefined} cols
 * @returns {Record<string, any>[]}
 */
export function columnsToRecords(cols) {
  if (!cols?.step) return [];
  return cols.step.map((/** @type {number} */ step, /** @type {number} */ i) => {
    /** @type {Record<string, any>} */
    const rec = { step };
    for (const [k, v] of Object.entries(cols)) if (Array.isArray(v)) rec[k] = v[i];
    return rec;
  });
}

/**
 * A copy of history `h` with the metrics records appended; a record whose step is not past
 * the last one (a reset, a new session, a repeated frame) is skipped, so steps stay increasing.
 * @param {History} h
 * @param {(Record<string, any> | null | undefined)[]} records
 * @returns {History}
 */
export function withRecords(h, records) {
  /** @type {History} */
  const next = {};
  for (const key of Object.keys(h)) next[key] = h[key].slice();
  for (const rec of records) {
    if (!rec || rec.step === undefined) continue;
    const last = next.step.length ? next.step[next.step.length - 1] : -1;
    if (rec.step <= last) continue;
    for (const key of Object.keys(next)) next[key].push(rec[key] ?? null);
  }
  return next;
}

/**
 * The history's rows after step `after` (the last `max` of them) as records.
 * @param {History} history
 * @param {number} after
 * @param {number} max
 */
export function recordsAfter(history, after, max) {
  const steps = history.step;
  let i = steps.length;
  while (i > 0 && steps[i - 1] > after && steps.length - i < max) i--;
  /** @type {History} */
  const cols = {};
  for (const [k, v] of Object.entries(history)) cols[k] = v.slice(i);
  return columnsToRecords(cols);
}

// What steps and an edited weight change in a session; any other difference (data,
// training, a reset) is a different state to load, not a frame to apply.
const STEPPED = new Set(["step", "network", "metrics", "dead", "updated_at"]);
const STEPPED_NETWORK = new Set(["weights", "biases"]);

/**
 * Whether session `s` is `prev` after steps or an edited weight, so that a frame (weights,
 * metrics) takes a page from one to the other.
 * @param {any} prev
 * @param {any} s
 */
export function steppedFrom(prev, s) {
  if (!prev || prev.id !== s.id || s.step < prev.step) return false;
  const eq = (/** @type {any} */ a, /** @type {any} */ b) => a === b || JSON.stringify(a) === JSON.stringify(b);
  /** @param {Record<string, any>} a @param {Record<string, any>} b @param {Set<string>} skip */
  const alike = (a, b, skip) => [...new Set([...Object.keys(a), ...Object.keys(b)])].every((k) => skip.has(k) || eq(a[k], b[k]));
  return alike(prev, s, STEPPED) && alike(prev.network ?? {}, s.network ?? {}, STEPPED_NETWORK);
}

/**
 * The records a `/step` answer adds to the history: its history columns when it has them
 * (several steps), else its one metrics row.
 * @param {{history?: Record<string, any>, metrics?: Record<string, any>}} answer
 */
export function stepRecords(answer) {
  return answer.history ? columnsToRecords(answer.history) : [answer.metrics];
}

/**
 * Number of samples in a split of the session's dataset.
 * @param {{dataset?: {x?: unknown[], test_x?: unknown[]}} | null | undefined} session
 * @param {string} split  "train" | "test"
 */
export function splitSize(session, split) {
  const d = session?.dataset;
  if (!d) return 0;
  return (split === "test" ? d.test_x : d.x)?.length ?? 0;
}

/**
 * The selected sample if the session has it, else the first training sample.
 * @param {Parameters<typeof splitSize>[0]} session
 * @param {Sample | null | undefined} sample
 * @returns {Sample}
 */
export function validSample(session, sample) {
  if (sample && sample.index < splitSize(session, sample.split)) return sample;
  return { split: "train", index: 0 };
}

/**
 * A POST /backward answer for one sample as the forward values and gradient it gives.
 * @param {{step?: number, x: number[][], x_raw: number[][], loss?: number,
 *          layers: ({z: number[][], a: number[][]} & LayerGradient)[]}} r
 * @param {Sample} sample
 * @param {number} pageStep  the page's step (the answer names its own when the server is ahead)
 * @param {boolean} animate
 * @param {number} seq       the animation sequence number of this pass
 */
export function sampleTracePatch(r, sample, pageStep, animate, seq) {
  const step = r.step ?? pageStep; // while streaming, the server may be a frame ahead of the page
  return {
    sample,
    forward: { x: r.x, x_raw: r.x_raw, layers: r.layers.map((l) => ({ z: l.z, a: l.a })), sample, step, animate: false, seq },
    gradient: gradientOf("sample", r.layers, { sample, step }),
    backward: { ...r, sample, step, animate, seq },
  };
}

/**
 * The patch of a POST /step answer `r` to session `s`: the session after it (with the dead
 * neurons the answer names), the update (the server's ΔW of a single step, else the difference
 * of the weights) and, when the answer has a trace, the minibatch gradient (of the weights
 * before the step, so tagged `s.step`).
 * @template {{step: number, network: {weights: Matrix[]}, metrics?: any, dead?: any}} S
 * @param {S} s
 * @param {{step: number, network: object, metrics?: any, dead?: any, applied?: boolean, applied_steps?: number,
 *          update?: {weights: Matrix[], biases: number[][]}, trace?: {layers?: LayerGradient[]},
 *          indices?: number[]}} r
 * @param {boolean} animate
 * @param {number} [seq]
 */
export function stepPatch(s, r, animate, seq) {
  const session = { ...advancedSession(s, r.step, r.network, r.metrics), dead: r.dead ?? s.dead };
  const steps = r.applied_steps ?? (r.applied === false ? 0 : 1);
  /** @type {Update} */
  const update = r.update && steps === 1
    ? { step: r.step, weights: r.update.weights, biases: r.update.biases, steps: 1, animate }
    : { step: r.step, weights: weightChange(session.network.weights, s.network.weights), biases: null, steps, animate };
  if (seq !== undefined) update.seq = seq;
  /** @type {{session: S & {dead?: any}, backward: null, update: Update, gradient?: Gradient}} */
  const patch = { session, backward: null, update };
  if (r.trace?.layers) patch.gradient = gradientOf("minibatch", r.trace.layers, { indices: r.indices, step: s.step });
  return patch;
}

/**
 * A stream frame's grids in the /boundary answer's shape, as plain arrays. A frame without
 * the neurons' grids keeps the inputs' grids of `previous` (they depend on the features and,
 * with more than two inputs, the plane only).
 * @param {{dims: number, resolution: number, domain: number[][], output: Row,
 *          inputs?: Row[], neurons?: Row[][], plane?: number[], held?: number[]}} b
 * @param {number} step
 * @param {{inputs?: number[][], plane?: number[]} | null | undefined} previous
 */
function frameBoundary(b, step, previous) {
  /** @type {{dims: number, resolution: number, domain: number[][], output: number[], step: number,
   *          inputs?: number[][], neurons?: number[][][], plane?: number[], held?: number[]}} */
  const out = { dims: b.dims, resolution: b.resolution, domain: b.domain, output: plain(b.output), step };
  if (b.plane) Object.assign(out, { plane: b.plane, held: b.held }); // more than two inputs
  if (b.neurons) {
    out.inputs = (b.inputs ?? []).map(plain);
    out.neurons = b.neurons.map((layer) => layer.map(plain));
  } else if (previous?.inputs && String(previous.plane) === String(b.plane)) {
    out.inputs = previous.inputs;
  }
  return out;
}

/**
 * The patch of one stream frame (stream.js) to session `s`: step, metrics row, weights, ΔW
 * since the page's last weights and, when the frame has it, the grid.
 * @template {{step: number, network: {weights: Matrix[]}, metrics?: any}} S
 * @param {S} s
 * @param {{step: number, steps: number, metrics?: any, weights: Row[][], biases: Row[] | null,
 *          boundary: Parameters<typeof frameBoundary>[0] | null}} frame
 * @param {History} history
 * @param {Parameters<typeof frameBoundary>[2]} previousBoundary
 */
export function framePatch(s, frame, history, previousBoundary) {
  const weights = frame.weights.map((W) => W.map(plain));
  const network = { weights, ...(frame.biases ? { biases: frame.biases.map(plain) } : {}) };
  /** @type {{session: S, backward: null, update: Update, history: History, boundary?: object}} */
  const patch = {
    session: advancedSession(s, frame.step, network, frame.metrics),
    backward: null,
    update: { step: frame.step, weights: weightChange(weights, s.network.weights), biases: null, steps: frame.steps, animate: false },
    history: withRecords(history, [frame.metrics]),
  };
  if (frame.boundary) patch.boundary = frameBoundary(frame.boundary, frame.step, previousBoundary);
  return patch;
}
