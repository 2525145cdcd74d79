// Where every neuron and edge of the network view goes, for a given size.
// Pure geometry: no state, no DOM.

const TOP = 78;      // room for the layer heads (HTML controls above each column)
const BOTTOM = 34;
const LEFT = 64;     // input labels (more for a table's wider names, up to MAX_LEFT of the width)
const MAX_LEFT = 0.3;
const LABEL_GAP = 8; // between an input label's end and its neuron (network-labels.js)
const RIGHT = 118;   // target and loss right of the output layer
const MAX_SPACING = 130;
// A layer head needs this much width for its name ("l=10"), width field and menu. Columns
// closer than that (a deep network on a narrow screen) put their heads on two or three
// staggered rows, each head as wide as that many columns.
const HEAD_MIN = 46;
const MAX_HEAD_ROWS = 3;

/** @param {number} v @param {number} lo @param {number} hi */
const clamp = (v, lo, hi) => Math.max(lo, Math.min(hi, v));

/**
 * Cubic point of d3.linkHorizontal's curve between (x0,y0) and (x1,y1) at t.
 * @param {number} x0 @param {number} y0 @param {number} x1 @param {number} y1 @param {number} t
 */
function linkPoint(x0, y0, x1, y1, t) {
  const mx = (x0 + x1) / 2;
  const u = 1 - t;
  const x = u * u * u * x0 + 3 * u * u * t * mx + 3 * u * t * t * mx + t * t * t * x1;
  const y = u * u * u * y0 + 3 * u * u * t * y0 + 3 * u * t * t * y1 + t * t * t * y1;
  return [x, y];
}

/**
 * The head rows `layers` get at width `w` with a left margin `left`: 1, or 2–3 when the
 * columns are too close.
 * @param {number[]} layers @param {number} w @param {number} [left]
 */
export function headRowsOf(layers, w, left = LEFT) {
  const L = layers.length - 1;
  const colGap = Math.max(20, w - left - RIGHT) / Math.max(1, L);
  return L && colGap < HEAD_MIN ? Math.min(MAX_HEAD_ROWS, Math.ceil(HEAD_MIN / colGap)) : 1;
}

/**
 * `top`: room above the neurons for one row of layer heads (less when their controls are
 * hidden); staggered rows (headRowsOf) add a row's height each, `headRow` px apart.
 * `labelWidth`: the widest input label, in px. `labelRoom` is the width an input label has
 * left of its neuron (a wider one must be shortened).
 * @param {number[]} layers  neurons per layer @param {number} w @param {number} h
 * @param {{top?: number, labelWidth?: number}} [options]
 */
export function layoutNetwork(layers, w, h, { top: rowTop = TOP, labelWidth = 0 } = {}) {
  const L = layers.length - 1;
  // The rows come before the margin is known (it depends on r, r on the rows' height):
  // count them with the narrowest margin wide labels can give (r at least 4).
  const leastLeft = clamp(labelWidth + 4 + LABEL_GAP + 2, LEFT, Math.max(LEFT, w * MAX_LEFT));
  const headRows = headRowsOf(layers, w, leastLeft);
  const headRow = rowTop - 6;
  const top = rowTop + (headRows - 1) * headRow;
  const avail = Math.max(20, h - top - BOTTOM);
  const spacingOf = (/** @type {number} */ n) => Math.min(avail / n, MAX_SPACING);
  const minSpacing = Math.min(...layers.map(spacingOf));
  const columns = (/** @type {number} */ left) => {
    const innerW = Math.max(20, w - left - RIGHT);
    const colGap = L ? innerW / L : innerW;
    return { innerW, colGap, r: clamp(Math.min(minSpacing * 0.28, colGap * 0.15), 4, 32) };
  };
  let left = LEFT;
  let { innerW, colGap, r } = columns(left);
  const wanted = labelWidth + r + LABEL_GAP + 2;
  if (wanted > left) { // a wider margin narrows the columns, so r only shrinks: the label fits
    left = Math.max(LEFT, Math.min(wanted, w * MAX_LEFT));
    ({ innerW, colGap, r } = columns(left));
  }
  const xs = layers.map((_, l) => left + (L === 0 ? innerW / 2 : (innerW * l) / L));
  const cy = top + avail / 2;

  /** @type {{id: string, l: number, j: number, x: number, y: number}[]} */
  const nodes = [];
  const ys = layers.map((n, l) => {
    const s = spacingOf(n);
    return Array.from({ length: n }, (_, j) => {
      const y = cy + (j - (n - 1) / 2) * s;
      nodes.push({ id: `${l}:${j}`, l, j, x: xs[l], y });
      return y;
    });
  });

  const link = d3.linkHorizontal();
  const edges = [];
  for (let l = 1; l <= L; l++) {
    const n = layers[l];
    for (let j = 0; j < n; j++) {
      for (let k = 0; k < layers[l - 1]; k++) {
        const x0 = xs[l - 1] + r, y0 = ys[l - 1][k], x1 = xs[l] - r, y1 = ys[l][j];
        // stagger labels along the edge by target neuron so crossing edges do not collide
        const t = n === 1 ? 0.5 : 0.3 + (0.4 * j) / (n - 1);
        const [lx, ly] = linkPoint(x0, y0, x1, y1, t);
        edges.push({ id: `${l}:${j}:${k}`, l, j, k, x0, y0, x1, y1, path: link({ source: [x0, y0], target: [x1, y1] }), lx, ly });
      }
    }
  }

  return {
    layers, xs, r, nodes, edges, top, headRows, headRow,
    labelRoom: Math.max(0, xs[0] - r - LABEL_GAP - 2),
    // a neuron's a and δ stack under it when its column has room, else δ goes to its right
    stackLabels: layers.map((n) => spacingOf(n) >= 2 * r + 34),
    showNodeLabels: minSpacing >= 2 * r + 20,
    showEdgeLabels: edges.length <= 12 && colGap >= 150,
    maxEdgeWidth: clamp(r * 0.42, 2.2, 9),
  };
}
