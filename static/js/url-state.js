// The page address as state: which session and what view of it (issue 17). Pure: parse a
// query string into checked values and serialise values back, leaving every parameter this
// module does not own (presenter, hide, follow, a lesson's keys…) as it was.
//
// The keys are a registry: other modules add theirs with `registerKey` (a lesson's
// progress, say) and get the same checking: a value that does not parse is dropped, named
// in `bad`, and its default used. Nothing read from the address is ever evaluated; values
// are matched against strict patterns and bounds and returned as plain numbers and strings.

/**
 * @typedef {object} Codec
 * @property {(raw: string) => any} parse   the value, or undefined when `raw` is not valid
 * @property {(value: any) => string | null} serialise  null leaves the key out (its default)
 * @property {"push" | "replace"} history  does a change of it make a new history entry?
 */

const ID = /^[A-Za-z0-9_-]{6,64}$/;
const INT = /^(0|[1-9][0-9]{0,5})$/;
const MAX_INDEX = 100_000;

/** @param {string} raw @param {number} max */
function int(raw, max) {
  if (!INT.test(raw)) return undefined;
  const n = Number(raw);
  return n <= max ? n : undefined;
}

/**
 * @param {string[]} values
 * @param {string} fallback
 * @param {"push" | "replace"} history
 * @returns {Codec}
 */
export function oneOf(values, fallback, history) {
  return {
    parse: (raw) => (values.includes(raw) ? raw : undefined),
    serialise: (v) => (v === fallback || !values.includes(v) ? null : v),
    history,
  };
}

export const TABS = ["inspector", "equations", "gradcheck", "paths", "flow", "replay"];
export const EDGE_MODES = ["weight", "grad", "update"];
export const LANGUAGES = ["en", "zh"];
export const MAX_SPEED = 6;

/** @type {Map<string, Codec>} */
const registry = new Map([
  ["session", {
    parse: (raw) => (ID.test(raw) ? raw : undefined),
    serialise: (v) => (typeof v === "string" && ID.test(v) ? v : null),
    history: "push",
  }],
  ["tab", oneOf(TABS, "inspector", "push")],
  ["edges", oneOf(EDGE_MODES, "weight", "push")],
  ["sel", {
    // n<l>.<i> a neuron a^l_i; e<l>.<row>.<col> the weight W^l[row][col]
    parse(raw) {
      const m = /^(n|e)([0-9]{1,3})\.([0-9]{1,6})(?:\.([0-9]{1,6}))?$/.exec(raw);
      if (!m || (m[1] === "n") !== (m[4] === undefined)) return undefined;
      const [layer, a] = [int(m[2], 100), int(m[3], MAX_INDEX)];
      if (layer === undefined || a === undefined) return undefined;
      if (m[1] === "n") return { kind: "node", layer, index: a };
      const column = int(m[4], MAX_INDEX);
      return column === undefined || layer < 1 ? undefined : { kind: "edge", layer, row: a, column };
    },
    serialise(v) {
      if (v?.kind === "node") return `n${v.layer}.${v.index}`;
      if (v?.kind === "edge") return `e${v.layer}.${v.row}.${v.column}`;
      return null;
    },
    history: "push",
  }],
  ["sample", {
    parse(raw) {
      const m = /^(train|test)\.([0-9]{1,6})$/.exec(raw);
      const index = m ? int(m[2], MAX_INDEX) : undefined;
      return m && index !== undefined ? { split: m[1], index } : undefined;
    },
    serialise: (v) => (v && (v.split !== "train" || v.index !== 0) ? `${v.split}.${v.index}` : null),
    history: "replace",
  }],
  ["speed", {
    parse: (raw) => int(raw, MAX_SPEED),
    serialise: (v) => (Number.isInteger(v) && v >= 0 && v <= MAX_SPEED && v !== 2 ? String(v) : null),
    history: "replace",
  }],
  ["lang", oneOf(LANGUAGES, "", "replace")],
]);

/**
 * Add a key other modules keep in the address (e.g. a lesson's progress).
 * @param {string} key
 * @param {Codec} codec
 */
export function registerKey(key, codec) {
  if (registry.has(key)) throw new Error(`the address key "${key}" is already registered`);
  registry.set(key, codec);
}

/** @returns {string[]} the registered keys */
export function keys() {
  return [...registry.keys()];
}

/**
 * The registered keys' values in a query string: `values` holds those present and
 * valid, `bad` the keys present with a value that is not (their defaults apply).
 * @param {string} search  location.search
 * @returns {{values: Record<string, any>, bad: string[]}}
 */
export function parseAddress(search) {
  const params = new URLSearchParams(search);
  /** @type {Record<string, any>} */
  const values = {};
  /** @type {string[]} */
  const bad = [];
  for (const [key, codec] of registry) {
    const raw = params.get(key);
    if (raw === null) continue;
    const value = raw.length <= 200 ? codec.parse(raw) : undefined;
    if (value === undefined) bad.push(key);
    else values[key] = value;
  }
  return { values, bad };
}

/**
 * The query string with the registered keys set from `values` (a key left out of `values`
 * keeps what the address has); other parameters stay as they are.
 * @param {string} search  the current location.search
 * @param {Record<string, any>} values
 * @returns {string} "" or "?…"
 */
export function serialiseAddress(search, values) {
  const params = new URLSearchParams(search);
  for (const [key, value] of Object.entries(values)) {
    const codec = registry.get(key);
    if (!codec) continue;
    const text = codec.serialise(value);
    if (text === null) params.delete(key);
    else params.set(key, text);
  }
  const query = params.toString().replace(/%2C/g, ",");
  return query ? `?${query}` : "";
}

/**
 * How moving from the address `before` to `after` goes into the browser history: "push"
 * when a key that makes a history entry changed, "replace" for the rest, null if equal.
 * @param {string} before
 * @param {string} after
 * @returns {"push" | "replace" | null}
 */
export function historyMode(before, after) {
  if (before === after) return null;
  const a = new URLSearchParams(before);
  const b = new URLSearchParams(after);
  for (const [key, codec] of registry) {
    if (codec.history === "push" && a.get(key) !== b.get(key)) return "push";
  }
  return "replace";
}

/**
 * The parsed view values that fit `session` (its layers and splits); the others are
 * named in `bad` (a stale address: a neuron or sample the network or data no longer has).
 * @param {{network: {layers: number[]}, dataset: {n_train: number, n_test: number}}} session
 * @param {Record<string, any>} values
 * @returns {{values: Record<string, any>, bad: string[]}}
 */
export function fitToSession(session, values) {
  const layers = session.network.layers;
  const L = layers.length - 1;
  /** @type {Record<string, (v: any) => boolean>} */
  const fits = {
    sel: (v) => v.kind === "node"
      ? v.layer <= L && v.index < layers[v.layer]
      : v.layer >= 1 && v.layer <= L && v.row < layers[v.layer] && v.column < layers[v.layer - 1],
    sample: (v) => v.index < (v.split === "train" ? session.dataset.n_train : session.dataset.n_test),
  };
  /** @type {Record<string, any>} */
  const out = {};
  /** @type {string[]} */
  const bad = [];
  for (const [key, value] of Object.entries(values)) {
    if (fits[key] && !fits[key](value)) bad.push(key);
    else out[key] = value;
  }
  return { values: out, bad };
}
