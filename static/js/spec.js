// Pure helpers on create requests ("specs": the body of POST /api/networks).
// The builder, data and training panels edit a copy of the current spec; the
// page then creates a new session from it.

/**
 * @typedef {Record<string, any>} Catalog  GET /api/catalog (datasets, features, optimizers, presets, defaults, …)
 * @typedef {Record<string, any>} Session  a session as the API returns it
 * @typedef {Record<string, any>} Dataset  a spec's dataset: a built-in {name, n_samples, noise, seed, …}
 *   or explicit {x, y, test_x?, test_y?, name?, source?}
 * @typedef {{layers: number[], activations: string[], loss?: string, bias?: boolean, init?: string,
 *            seed?: number, features?: string[] | null, weights?: number[][][], biases?: number[][]}} NetworkSpec
 * @typedef {{network: NetworkSpec, dataset: Dataset, training: Record<string, any>}} Spec
 */

/**
 * A deep copy of JSON data.
 * @template T
 * @param {T} v
 * @returns {T}
 */
export const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));

/** Base training fields of the API (docs/api.md); optimiser options come from the catalog. */
const TRAINING_BASE = ["optimizer", "learning_rate", "batch_size", "regularization", "regularization_rate"];

/**
 * The training fields a spec may carry: the base ones and every optimiser's options.
 * @param {Catalog | null | undefined} catalog
 */
function trainingKeys(catalog) {
  const keys = new Set(TRAINING_BASE);
  for (const opt of catalog?.optimizers ?? []) {
    for (const k of Object.keys(optionDefaults(opt))) keys.add(k);
  }
  return [...keys];
}

/**
 * {option: default} of a catalog optimiser entry, whether `options` is a dict or a list.
 * @param {{options?: Record<string, any> | {name: string, default: unknown}[]} | null | undefined} opt
 * @returns {Record<string, unknown>}
 */
export function optionDefaults(opt) {
  const o = opt?.options;
  if (!o) return {};
  if (Array.isArray(o)) {
    return Object.fromEntries(o.map((e) => [e.name, e.default]));
  }
  return Object.fromEntries(
    Object.entries(o).map(([k, v]) => [k, v && typeof v === "object" ? v.default : v]),
  );
}

/**
 * The catalog entry called `name` (by its name, or id).
 * @param {any[] | null | undefined} list
 * @param {string} name
 */
export function byName(list, name) {
  return (list ?? []).find((/** @type {any} */ e) => (e.name ?? e.id) === name);
}

/**
 * @param {Catalog} catalog
 * @param {Dataset | null | undefined} ds
 */
export function isBuiltinDataset(catalog, ds) {
  return !!ds && typeof ds.name === "string" && !ds.x && !!byName(catalog.datasets, ds.name);
}

/**
 * The catalog entry of the dataset a spec uses (its built-in, or the built-in it came from).
 * @param {Catalog} catalog
 * @param {Dataset | null | undefined} ds
 */
export function datasetEntry(catalog, ds) {
  if (!ds) return null;
  if (isBuiltinDataset(catalog, ds)) return byName(catalog.datasets, ds.name);
  if (ds.source) return byName(catalog.datasets, ds.source.name);
  return null;
}

/**
 * Raw input dimension d of a spec's dataset.
 * @param {Catalog} catalog
 * @param {Dataset} ds
 * @param {Session | null} [session]
 * @returns {number}
 */
export function inputDim(catalog, ds, session) {
  const entry = datasetEntry(catalog, ds);
  if (entry && !ds.x) return entry.input_dim;
  if (ds?.x?.length) return ds.x[0].length;
  return session?.dataset?.input_dim ?? entry?.input_dim ?? 2;
}

/**
 * "classification" | "regression": the session's, else the dataset's catalog entry's.
 * @param {Catalog} catalog
 * @param {Dataset} ds
 * @param {Session | null} [session]
 * @returns {string}
 */
export function datasetKind(catalog, ds, session) {
  if (session?.dataset?.kind) return session.dataset.kind;
  return datasetEntry(catalog, ds)?.kind ?? "classification";
}

/**
 * Feature names a network sees when `features` is null: the raw columns.
 * @param {number} d  raw input dimension
 */
export function defaultFeatures(d) {
  return d >= 2 ? ["x1", "x2"] : ["x1"];
}

/**
 * The raw inputs (0-based) a catalog feature is computed from.
 * @param {{needs?: number[]} | null | undefined} feature
 * @returns {number[]}
 */
function featureNeeds(feature) {
  return feature?.needs ?? [];
}

/**
 * Whether data of `d` raw inputs can provide the feature.
 * @param {{needs?: number[]} | null | undefined} feature
 * @param {number} d
 */
export function featureFits(feature, d) {
  return featureNeeds(feature).every((i) => i < d);
}

/**
 * Number of output units: for classification a softmax pair, else one; for regression the target's.
 * @param {string} activation  the output layer's σ
 * @param {string} kind
 * @param {number} [targetWidth]
 */
function outputWidth(activation, kind, targetWidth = 1) {
  if (kind === "classification") return activation === "softmax" ? 2 : 1;
  return targetWidth;
}

/**
 * Drop explicit weights (a structural change invalidates them) and make sure init is set.
 * @param {Spec} spec
 * @param {Catalog} catalog
 */
export function dropWeights(spec, catalog) {
  delete spec.network.weights;
  delete spec.network.biases;
  if (!spec.network.init) {
    spec.network.init = catalog.defaults?.network?.init ?? catalog.initializers?.[0]?.name ?? catalog.initializers?.[0];
  }
  if (spec.network.seed === undefined || spec.network.seed === null) spec.network.seed = 0;
  return spec;
}

/**
 * Adapt a spec's network to its dataset: input width to the features the data
 * can provide, the loss and output activation to the kind of task. True when the widths changed.
 * @param {Spec} spec
 * @param {Catalog} catalog
 * @param {{kindChanged?: boolean, dimChanged?: boolean}} [changed]
 */
export function fitNetworkToData(spec, catalog, { kindChanged = false, dimChanged = false } = {}) {
  const net = spec.network;
  const d = inputDim(catalog, spec.dataset);
  const kind = datasetKind(catalog, spec.dataset);
  if (dimChanged) net.features = null; // another input space: start from its raw inputs
  if (net.features) {
    const fits = net.features.filter((/** @type {string} */ f) => featureFits(byName(catalog.features, f), d));
    net.features = fits.length ? fits : null;
  }
  const n0 = net.features ? net.features.length : defaultFeatures(d).length;
  if (kindChanged) {
    const model = modelFor(catalog, kind);
    if (model) {
      net.loss = model.loss;
      net.activations[net.activations.length - 1] = model.output;
    }
  }
  const L = net.activations.length;
  const targetWidth = spec.dataset?.y?.[0]?.length ?? 1;
  const nL = outputWidth(net.activations[L - 1], kind, targetWidth);
  const layers = [n0, ...net.layers.slice(1, -1), nL];
  const changed = layers.some((n, i) => n !== net.layers[i]);
  net.layers = layers;
  return changed;
}

/**
 * Loss and output activation used for a kind of task, taken from the catalog's defaults and presets.
 * @param {Catalog} catalog
 * @param {string} kind
 */
function modelFor(catalog, kind) {
  const candidates = [catalog.defaults, ...(catalog.presets ?? []).map((/** @type {any} */ p) => p.request)];
  for (const req of candidates) {
    if (!req?.network) continue;
    const entry = datasetEntry(catalog, req.dataset);
    if (entry?.kind === kind) {
      const acts = req.network.activations;
      return { loss: req.network.loss ?? "mse", output: acts[acts.length - 1] };
    }
  }
  return kind === "regression" ? { loss: "mse", output: "linear" } : null;
}

/**
 * Labels (0/1 per row) from targets that may be one-hot rows.
 * @param {number[][]} rows
 */
function labelRows(rows) {
  return rows.map((r) => [r.length > 1 ? r.indexOf(Math.max(...r)) : r[0]]);
}

/**
 * The session's current points as an explicit dataset (after points were added).
 * @param {Session} session
 * @param {{dataset: Dataset}} spec
 * @param {Catalog} catalog
 * @returns {Dataset}
 */
export function explicitDataset(session, spec, catalog) {
  const d = session.dataset;
  const cls = d.kind === "classification";
  const y = cls ? d.labels ?? labelRows(d.y) : d.y;
  /** @type {Dataset} */
  const out = { x: d.x, y };
  if (d.test_x?.length) {
    out.test_x = d.test_x;
    out.test_y = cls ? d.test_labels ?? labelRows(d.test_y) : d.test_y;
  }
  const source = isBuiltinDataset(catalog, spec.dataset) ? spec.dataset : spec.dataset?.source;
  if (source) out.source = clone(source);
  out.name = spec.dataset?.name && !isBuiltinDataset(catalog, spec.dataset) ? spec.dataset.name : `${source?.name ?? "custom"} (edited)`;
  return out;
}

/**
 * A spec (create request) describing an existing session, for sessions not created by this page.
 * @param {Session} session
 * @param {Catalog} catalog
 * @returns {Spec}
 */
export function specFromSession(session, catalog) {
  const n = session.network;
  const network = {
    layers: [...n.layers], activations: [...n.activations], loss: n.loss, bias: n.bias,
    init: n.init ?? catalog.defaults?.network?.init ?? "xavier", seed: n.seed ?? 0,
    features: n.features ?? null,
  };
  const d = session.dataset;
  const src = d.source;
  const untouched = src && byName(catalog.datasets, src.name) && d.n_train + d.n_test === src.n_samples;
  const dataset = untouched ? clone(src) : explicitDataset(session, { dataset: src ? clone(src) : {} }, catalog);
  /** @type {Record<string, unknown>} */
  const training = {};
  for (const k of trainingKeys(catalog)) if (session.training?.[k] !== undefined) training[k] = session.training[k];
  return { network, dataset, training };
}
