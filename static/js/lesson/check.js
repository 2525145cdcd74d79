// Checking a typed answer against the engine's number: what a learner may type
// ("1,68", "−0.32", "3e-2") and how close counts as right (pure; tests/js/lesson-check.test.js).

/**
 * The number a learner typed, or null: a comma as decimal point, U+2212 minus and spaces accepted.
 * @param {string} text
 * @returns {number | null}
 */
export function parseAnswer(text) {
  const s = String(text ?? "").trim().replaceAll("−", "-").replaceAll("–", "-").replace(/\s+/g, "").replace(",", ".");
  if (!s || !/^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s)) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/**
 * Right when within 1 % of the truth or `abs` of it: the learner works from numbers shown
 * to 3–4 significant digits, so a correct hand calculation differs in the last digits.
 * @param {number | null} answer
 * @param {number} truth
 * @param {{rel?: number, abs?: number}} [tolerance]
 */
export function isClose(answer, truth, { rel = 0.01, abs = 1e-3 } = {}) {
  if (answer === null || !Number.isFinite(answer) || !Number.isFinite(truth)) return false;
  return Math.abs(answer - truth) <= Math.max(abs, rel * Math.abs(truth));
}

/**
 * Paths from W^l[j][k] to the loss: one neuron chosen in each later layer, Π_{t>l} n_t.
 * @param {number[]} layers  n_0 … n_L
 * @param {number} layer  l ≥ 1
 */
export function pathCount(layers, layer) {
  return layers.slice(layer + 1).reduce((a, n) => a * n, 1);
}
