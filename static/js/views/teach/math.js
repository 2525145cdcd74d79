// Helpers of the teaching panels: numbers written as on a board (LaTeX), truncated
// matrices, σ' per activation, ∇_a C per loss, and a forward pass for the replay.
// Every number they format comes from an API answer; these only arrange it.

/** A number in LaTeX with `digits` significant digits (exponent form when tiny or huge). */
export function texNum(v, digits = 4) {
  if (v === null || v === undefined || Number.isNaN(v)) return "\\text{–}";
  if (!Number.isFinite(v)) return v > 0 ? "\\infty" : "-\\infty";
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) {
    const [m, e] = v.toExponential(Math.max(0, digits - 1)).split("e");
    return `${Number(m)} \\times 10^{${Number(e)}}`;
  }
  return String(Number(v.toPrecision(digits)));
}

/** A factor in a substituted product: negative numbers and exponent forms in parentheses. */
export function texFactor(v, digits = 4) {
  const s = texNum(v, digits);
  return v < 0 || s.includes("\\times") ? `(${s})` : s;
}

/** The same number as plain text (U+2212 minus), for captions and tables. */
export function textNum(v, digits = 4) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (!Number.isFinite(v)) return v > 0 ? "∞" : "−∞";
  if (v === 0) return "0";
  const a = Math.abs(v);
  const s = a < 1e-3 || a >= 1e5
    ? v.toExponential(Math.max(0, digits - 1)).replace(/\.?0+e/, "e").replace("e+", "e")
    : String(Number(v.toPrecision(digits)));
  return s.replaceAll("-", "−");
}

/** Full precision for data-* attributes that tests compare with the API. */
export function exact(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? "" : String(v);
}

/** Indices to show of n items when at most `max` fit: the first ones, a gap (null), the last. */
export function shownIndices(n, max) {
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  return [...Array.from({ length: Math.max(1, max - 2) }, (_, i) => i), null, n - 1];
}

/** A matrix (array of rows) as a LaTeX bmatrix, wide ones truncated with ⋯ ⋮ ⋱. */
export function texMatrix(M, { maxRows = 6, maxCols = 6, digits = 3 } = {}) {
  if (!M?.length) return "\\varnothing";
  const rows = shownIndices(M.length, maxRows);
  const cols = shownIndices(M[0].length, maxCols);
  const body = rows.map((r) => cols.map((c) => {
    if (r === null) return c === null ? "\\ddots" : "\\vdots";
    return c === null ? "\\cdots" : texNum(M[r][c], digits);
  }).join(" & ")).join(" \\\\ ");
  return `\\begin{bmatrix}${body}\\end{bmatrix}`;
}

/** A vector as a LaTeX column. */
export function texColumn(v, opts = {}) {
  return texMatrix((v ?? []).map((x) => [x]), opts);
}

/** Render LaTeX into `node` with KaTeX (its DOM API, so the page's CSP is respected). */
export function renderTex(node, latex, { display = false } = {}) {
  node.replaceChildren();
  try {
    window.katex.render(latex, node, { displayMode: display, throwOnError: false, strict: "ignore" });
  } catch {
    node.textContent = latex;
  }
  return node;
}

// --- σ' of each activation, from the API's z and a ------------------------------------------

const p = (v) => texFactor(v);

/** σ'(z) with its symbolic form and the substituted one; null for softmax (a Jacobian). */
export const DERIVATIVES = {
  sigmoid: { value: (z, a) => a * (1 - a), symbolic: "\\sigma(z)\\,(1-\\sigma(z))", substituted: (z, a) => `${p(a)}\\,(1 - ${p(a)})` },
  tanh: { value: (z, a) => 1 - a * a, symbolic: "1-\\tanh^2 z", substituted: (z, a) => `1 - ${p(a)}^2` },
  relu: { value: (z) => (z > 0 ? 1 : 0), symbolic: "[z > 0]", substituted: (z) => `[\\,${texNum(z)} > 0\\,]` },
  leaky_relu: { value: (z) => (z > 0 ? 1 : 0.01), symbolic: "1 \\text{ if } z>0 \\text{ else } 0.01", substituted: (z) => `${texNum(z)} ${z > 0 ? ">" : "\\le"} 0` },
  linear: { value: () => 1, symbolic: "1", substituted: () => "1" },
  softplus: { value: (z) => 1 / (1 + Math.exp(-z)), symbolic: "\\frac{1}{1+e^{-z}}", substituted: (z) => `\\frac{1}{1+e^{${texNum(-z)}}}` },
  square: { value: (z) => 2 * z, symbolic: "2z", substituted: (z) => `2 \\cdot ${p(z)}` },
};

/** a = σ(z) of one layer's row, for the replay's forward pass. */
function activateRow(name, z) {
  switch (name) {
    case "sigmoid": return z.map((v) => (v >= 0 ? 1 / (1 + Math.exp(-v)) : Math.exp(v) / (1 + Math.exp(v))));
    case "tanh": return z.map(Math.tanh);
    case "relu": return z.map((v) => (v > 0 ? v : 0));
    case "leaky_relu": return z.map((v) => (v > 0 ? v : 0.01 * v));
    case "linear": return z.slice();
    case "softplus": return z.map((v) => (v > 0 ? v + Math.log1p(Math.exp(-v)) : Math.log1p(Math.exp(v))));
    case "square": return z.map((v) => v * v);
    case "softmax": {
      const m = Math.max(...z);
      const e = z.map((v) => Math.exp(v - m));
      const s = e.reduce((x, y) => x + y, 0);
      return e.map((v) => v / s);
    }
    default: throw new Error(`unknown activation ${name}`);
  }
}

/**
 * The network's output unit the boundary shows, at each point of `inputs`
 * (n_0 × P, the feature values GET /boundary returned), with the given weights:
 * class 1's probability for a softmax pair, else the first output.
 */
export function forwardGrid(network, weights, biases, inputs) {
  const P = inputs[0]?.length ?? 0;
  const out = new Float64Array(P);
  const L = weights.length;
  const softmaxPair = network.activations[L - 1] === "softmax" && network.layers[L] === 2;
  for (let i = 0; i < P; i++) {
    let a = inputs.map((row) => row[i]);
    for (let l = 0; l < L; l++) {
      const W = weights[l];
      const b = biases?.[l];
      const z = W.map((row, j) => {
        let s = b ? b[j] : 0;
        for (let k = 0; k < row.length; k++) s += row[k] * a[k];
        return s;
      });
      a = activateRow(network.activations[l], z);
    }
    out[i] = softmaxPair ? a[1] : a[0];
  }
  return out;
}

// --- ∂C/∂a^L of each loss ---------------------------------------------------------------------

/** ∂C_b/∂a^L_j of one output unit, with its symbolic and substituted forms. */
export const LOSS_GRADIENTS = {
  mse: {
    value: (a, y) => a - y,
    symbolic: "a^L_j - y_j",
    substituted: (a, y) => `${texNum(a)} - ${texFactor(y)}`,
  },
  bce: {
    value: (a, y) => (a - y) / (a * (1 - a)),
    symbolic: "\\frac{a^L_j - y_j}{a^L_j\\,(1-a^L_j)}",
    substituted: (a, y) => `\\frac{${texNum(a)} - ${texFactor(y)}}{${texFactor(a)}\\,(1 - ${texFactor(a)})}`,
  },
  cross_entropy: {
    value: (a, y) => -y / a,
    symbolic: "-\\frac{y_j}{a^L_j}",
    substituted: (a, y) => `-\\frac{${texNum(y)}}{${texNum(a)}}`,
  },
};

const SUP = { "-": "⁻", "+": "⁺", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** A layer index as a superscript for plain text: sup(12) = "¹²". */
export const sup = (n) => String(n).split("").map((c) => SUP[c] ?? c).join("");

/** Σ of a list. */
export const sum = (xs) => xs.reduce((x, y) => x + y, 0);

/** The name of an activation as a TeX operator: \sigma for the sigmoid, \tanh, ReLU, … */
export const TEX_ACTIVATION = {
  sigmoid: "\\sigma", tanh: "\\tanh", relu: "\\operatorname{ReLU}", leaky_relu: "\\operatorname{LeakyReLU}",
  linear: "\\operatorname{id}", softplus: "\\operatorname{softplus}", square: "\\operatorname{square}", softmax: "\\operatorname{softmax}",
};
