// Pure helpers for own data: the network a table's data needs, and a confusion matrix.

/**
 * The network for a table: its feature count in, one hidden layer, and the output its
 * targets need (softmax + cross-entropy for k > 2 classes, sigmoid + BCE for 2, linear +
 * MSE for regression). Keeps the seed and initialiser of `base`.
 * @param {{columns: string[], kind: string, classes: string[], image?: number[] | null}} table
 * @param {{seed?: number, init?: string | null, bias?: boolean}} base
 */
export function tableNetwork(table, base = {}) {
  const d = table.columns.length;
  const k = table.classes.length;
  const hidden = table.image ? 16 : d > 2 ? 8 : 4;
  const [out, act, loss] = table.kind === "regression" ? [1, "linear", "mse"]
    : k > 2 ? [k, "softmax", "cross_entropy"] : [1, "sigmoid", "bce"];
  return {
    layers: [d, hidden, out], activations: [table.image ? "relu" : "tanh", act], loss,
    bias: base.bias ?? true, init: table.image ? "he" : "xavier", seed: base.seed ?? 0, features: null,
  };
}

/**
 * The two raw features the plots and the boundary grid span: [0, 1] up to two inputs, else
 * the chosen pair when it fits the data (a pair from a wider table falls back to [0, 1]).
 * @param {{plane: number[], session?: any}} state
 * @returns {[number, number]}
 */
export function planeOf(state) {
  const d = state.session?.dataset?.input_dim ?? 2;
  const [fx, fy] = state.plane ?? [0, 1];
  return d > 2 && fx !== fy && fx < d && fy < d ? [fx, fy] : [0, 1];
}

/**
 * The names of d raw features: the table's columns when they fit, else x1 … xd.
 * @param {{columns: string[]} | null | undefined} table @param {number} d
 * @returns {string[]}
 */
export function featureNames(table, d) {
  return table && table.columns.length === d ? table.columns : Array.from({ length: d }, (_, i) => `x${i + 1}`);
}

/**
 * The table a session's data comes from (its names, classes, image shape), or null: the one
 * kept for its id (made from a table; opened again by undo, redo or an address), else the
 * current one when the session holds data of that table's name and width (a network edit,
 * a reset or a branch keeps the data).
 * @template T
 * @param {Map<string, T | null>} kept  session id → its table
 * @param {(T & {name: string, columns: string[]}) | null} current  the table shown now
 * @param {{id: string, dataset: {name?: string, input_dim: number}}} session
 * @returns {T | null}
 */
export function tableFor(kept, current, session) {
  const known = kept.get(session.id);
  if (known !== undefined) return known;
  const d = session.dataset;
  return current && d.name === current.name && d.input_dim === current.columns.length ? current : null;
}

/**
 * A new pair from a changed select: picking the other axis's feature swaps the two.
 * @param {number[]} before  the current pair
 * @param {number} fx @param {number} fy  the selects' values
 * @returns {[number, number]}
 */
export function nextPlane([ox, oy], fx, fy) {
  if (fx !== fy) return [fx, fy];
  return fx !== ox ? [fx, ox] : [oy, fy];
}

/**
 * Class numbers of target rows: the argmax of one-hot rows, else the 0/1 label.
 * @param {number[][]} rows
 * @returns {number[]}
 */
export function classOf(rows) {
  return rows.map((r) => (r.length > 1 ? r.indexOf(Math.max(...r)) : r[0] >= 0.5 ? 1 : 0));
}

/**
 * counts[true class][predicted class] over k classes.
 * @param {number[]} truth
 * @param {number[]} predicted
 * @param {number} k
 * @returns {number[][]}
 */
export function confusion(truth, predicted, k) {
  const counts = Array.from({ length: k }, () => new Array(k).fill(0));
  truth.forEach((c, i) => { counts[c][predicted[i]] += 1; });
  return counts;
}
