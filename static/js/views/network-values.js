// The numbers the network view shows, read from the store's state.
// Every accessor returns null when the value is not known (yet).

import { byName } from "../spec.js";
import { target } from "../format.js";

/**
 * @param {any} state
 * @param {{forward: any, showA?: (l: number) => boolean, showDelta?: (l: number) => boolean}} options
 *   which layers show a and δ (an animation reveals them layer by layer)
 */
export function nodeValues(state, { forward, showA = () => true, showDelta = () => true }) {
  const f = forward;
  const b = state.backward;
  return {
    a(l, j) {
      if (!f || !showA(l)) return null;
      const v = l === 0 ? f.x?.[0]?.[j] : f.layers?.[l - 1]?.a?.[0]?.[j];
      return v ?? null;
    },
    z(l, j) {
      if (!f || l === 0) return null;
      return f.layers?.[l - 1]?.z?.[0]?.[j] ?? null;
    },
    delta(l, j) {
      if (!b || l === 0 || !showDelta(l)) return null;
      return b.layers?.[l - 1]?.delta?.[0]?.[j] ?? null;
    },
  };
}

/** δ is shown only while it belongs to the current weights and the selected sample. */
export function isBackwardFresh(state) {
  const b = state.backward;
  return !!b && !!state.session && b.step === state.session.step &&
    b.sample?.split === state.sample.split && b.sample?.index === state.sample.index;
}

export function edgeValue(state, mode, d) {
  const i = d.l - 1;
  if (mode === "weight") return state.session?.network?.weights?.[i]?.[d.j]?.[d.k] ?? null;
  if (mode === "grad") return state.gradient?.weights?.[i]?.[d.j]?.[d.k] ?? null;
  return state.update?.weights?.[i]?.[d.j]?.[d.k] ?? null;
}

function maxAbs(tensors) {
  let m = 0;
  for (const W of tensors ?? []) for (const row of W ?? []) for (const v of row ?? []) {
    const a = Math.abs(v);
    if (a > m && Number.isFinite(a)) m = a;
  }
  return m;
}

const cache = new WeakMap();
function cachedMax(obj) {
  if (!obj) return 0;
  if (!cache.has(obj)) cache.set(obj, maxAbs(obj));
  return cache.get(obj);
}

/** Largest |value| over all edges for a mode: edge widths and colours are relative to it. */
export function edgeMax(state, mode) {
  if (mode === "weight") return cachedMax(state.session?.network?.weights);
  if (mode === "grad") return cachedMax(state.gradient?.weights);
  return cachedMax(state.update?.weights);
}

export function deltaMax(state) {
  const layers = state.backward?.layers;
  if (!layers) return 1;
  return maxAbs([layers.map((l) => l.delta?.[0] ?? [])]) || 1;
}

/**
 * Display labels of the input neurons: the network's features (x₁, x₁², …); without
 * features, the raw inputs: a table's column names ("petal length") where the data came
 * from one, else x₁ … x_d.
 */
export function inputLabels(state) {
  const { session, catalog, table } = state;
  if (!session) return [];
  const features = session.network.features;
  if (features) return features.map((n) => byName(catalog?.features, n)?.label ?? n);
  const d = session.network.layers[0];
  if (table && table.columns.length === d) return [...table.columns];
  return Array.from({ length: d }, (_, j) => byName(catalog?.features, `x${j + 1}`)?.label ?? `x${subscript(j + 1)}`);
}

/** @param {number} n */
const subscript = (n) => String(n).replace(/\d/g, (c) => "₀₁₂₃₄₅₆₇₈₉"[Number(c)]);

/** The selected sample's target as text ("class 1", "0.25"). */
export function sampleTarget(state) {
  const d = state.session?.dataset;
  const s = state.sample;
  if (!d || !s) return null;
  const row = (s.split === "test" ? d.test_y : d.y)?.[s.index];
  return row ? target(row, d.kind) : null;
}

/** Largest |input| of the data domain, the colour range of input neurons. */
function inputMax(state) {
  const dom = state.boundary?.domain ?? state.catalog?.domain;
  if (Array.isArray(dom)) {
    const flat = dom.flat(2).filter(Number.isFinite).map(Math.abs);
    if (flat.length) return Math.max(...flat);
  }
  return 1;
}

// A neuron's colour: the neutral colour sits in the middle of σ's range (0.5 for
// sigmoid, 0 for tanh), so colour reads "low / high output" whatever σ is; the output
// neuron's map then matches the output plot. The catalog's `range` wins when it has one.
const BOUNDED_FALLBACK = { sigmoid: [0, 1], softmax: [0, 1], tanh: [-1, 1] };

function activationScale(catalog, name) {
  const r = byName(catalog?.activations, name)?.range ?? BOUNDED_FALLBACK[name];
  if (r && Number.isFinite(r[0]) && Number.isFinite(r[1])) return { lo: r[0], mid: (r[0] + r[1]) / 2, hi: r[1] };
  return { lo: -1, mid: 0, hi: 1 };
}

/**
 * Colour scale {lo, mid, hi} of neuron j of layer l (inputs: ± the largest |value| of the feature);
 * `zero`: a = 0 has a colour of its own (relu's "off").
 * @param {any} state
 * @param {number} l
 * @param {number} j
 * @returns {{lo: number, mid: number, hi: number, zero?: boolean}}
 */
export function neuronScale(state, l, j) {
  if (l === 0) {
    const map = state.boundary?.inputs?.[j];
    let m = 0;
    if (map) for (const v of map) m = Math.max(m, Math.abs(v));
    m = m || inputMax(state);
    return { lo: -m, mid: 0, hi: m };
  }
  const act = state.session?.network?.activations?.[l - 1];
  // relu's a = 0 means "off" (σ' = 0): drawn in a colour of its own, not the ramp's middle
  return { ...activationScale(state.catalog, act), zero: act === "relu" };
}

/** Whether neuron j of layer l is dead at the session's step: a = 0 on every training sample. */
export function isDead(state, l, j) {
  const dead = state.session?.dead;
  return !!dead && dead.step === state.session.step && l > 0 && (dead.layers[l - 1] ?? []).includes(j);
}

/**
 * The legend of neuron colours: the ticks of the hidden layers' scale, and a note
 * naming the activations whose colours span another range (e.g. "sigmoid: 0 … 1").
 */
export function neuronLegend(state) {
  const acts = state.session?.network?.activations ?? [];
  const t = (v) => String(Number(v.toPrecision(3))).replace("-", "−");
  const hidden = acts.length > 1 ? acts.slice(0, -1) : acts;
  const main = activationScale(state.catalog, hidden[0]);
  const others = [...new Set(acts)].filter((a) => {
    const s = activationScale(state.catalog, a);
    return s.lo !== main.lo || s.hi !== main.hi;
  });
  const note = others.map((a) => {
    const s = activationScale(state.catalog, a);
    return `${a}: ${t(s.lo)} … ${t(s.hi)}`;
  }).join(", ");
  return { title: "neuron a", ticks: [t(main.lo), t(main.mid), t(main.hi)], note };
}
