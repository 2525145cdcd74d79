// Number formatting: short and readable for display, plain ASCII where tests read it.

import { t } from "./i18n.js";

const sig3 = d3.format(".3~r");
const sig4 = d3.format(".4~r");
const expo = d3.format(".2~e");

/**
 * A value for display: 3 significant digits, exponent form for very small/large, U+2212 minus.
 * @param {number | null | undefined} v
 * @param {{digits?: number}} [options]
 */
export function fmt(v, { digits = 3 } = {}) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (v === 0) return "0";
  const a = Math.abs(v);
  const s = a < 1e-3 || a >= 1e5 ? expo(v) : digits >= 4 || a >= 100 ? sig4(v) : sig3(v);
  return s.replace("-", "−");
}

/**
 * A plain number (ASCII minus, up to 6 significant digits) for data-metric texts and attributes.
 * @param {number | null | undefined} v
 * @param {number} [precision]
 */
export function plain(v, precision = 6) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "";
  return String(Number(v.toPrecision(precision)));
}

/**
 * A percentage for accuracies in [0, 1].
 * @param {number | null | undefined} v
 */
export function pct(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return "";
  return `${(100 * v).toFixed(1)}%`;
}

/**
 * "(1.25, −3.5)" for an input vector.
 * @param {number[]} values
 */
export function vec(values) {
  return `(${values.map((v) => fmt(v)).join(", ")})`;
}

/**
 * Text of a label/target row: "class 1" for a classification label, numbers otherwise.
 * @param {number[] | null | undefined} row
 * @param {string} kind  "classification" | "regression"
 */
export function target(row, kind) {
  if (!row) return "–";
  if (kind === "classification") {
    const label = row.length > 1 ? row.indexOf(Math.max(...row)) : Math.round(row[0]);
    return t("plot.class", "class {label}", { label });
  }
  return row.length === 1 ? fmt(row[0]) : vec(row);
}

// --- the book's notation in plain text: W¹₀₂, b²₁, a = tanh(z) ---------------------------------

/** @type {Record<string, string>} */
const SUPS = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
/** @type {Record<string, string>} */
const SUBS = { ",": "‚", 0: "₀", 1: "₁", 2: "₂", 3: "₃", 4: "₄", 5: "₅", 6: "₆", 7: "₇", 8: "₈", 9: "₉" };
/**
 * @param {Record<string, string>} map
 * @param {string | number} s
 */
const script = (map, s) => String(s).split("").map((c) => map[c] ?? c).join("");

/**
 * Subscript indices: ₀₂ for (0, 2); with a two-digit index they are separated, ₁₀‚₂.
 * @param {...number} ix
 */
function subscripts(...ix) {
  return script(SUBS, ix.join(ix.some((i) => i > 9) ? "," : ""));
}

/**
 * W^l_{jk} as plain text: weightName(1, 0, 2) = "W¹₀₂".
 * @param {number} l
 * @param {number} j
 * @param {number} k
 */
export const weightName = (l, j, k) => `W${script(SUPS, l)}${subscripts(j, k)}`;

/**
 * b^l_j as plain text: biasName(2, 1) = "b²₁".
 * @param {number} l
 * @param {number} j
 */
export const biasName = (l, j) => `b${script(SUPS, l)}${subscripts(j)}`;

/**
 * A layer's activation applied to `arg`, as plain text: σ is the sigmoid, the others by name.
 * @param {string} act
 * @param {string} [arg]
 */
export function activationOf(act, arg = "z") {
  switch (act) {
    case "sigmoid": return `σ(${arg})`;
    case "linear": return arg;
    case "square": return `${arg}²`;
    case "relu": return `max(0, ${arg})`;
    case "leaky_relu": return `max(0.01${arg}, ${arg})`;
    case "softmax": return `softmax(${arg})`;
    default: return `${act}(${arg})`;
  }
}
