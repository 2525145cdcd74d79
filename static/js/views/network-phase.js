// The network view's animation state, shared by its layers: which pass runs (forward or
// backward) and the layer it has reached. Layers read it; only network.js runs it.

/**
 * @typedef {{kind: "forward" | "backward", index: number, cursor: number, timer: any}} Phase
 *   forward reveals layers 0 … L (cursor: the last one shown); backward the loss (L+1), then L … 1
 */

/**
 * Whether a layer shows its activations a during `phase`: those the forward signal has reached.
 * @param {Phase | null} phase
 * @param {number} l
 */
export function showsA(phase, l) {
  return phase?.kind !== "forward" || l <= phase.cursor;
}

/**
 * Whether a layer shows δ during `phase` (when δ is fresh): none while the signal runs forward,
 * those the backward signal has reached.
 * @param {Phase | null} phase
 * @param {number} l
 */
export function showsDelta(phase, l) {
  return phase?.kind !== "forward" && (phase?.kind !== "backward" || l >= phase.cursor);
}

/**
 * What the edges of W^l show: the edge mode, except that while ∂C/∂W runs backward the
 * layers it has not reached yet still show their weights.
 * @param {Phase | null} phase
 * @param {string} mode  "weight" | "grad" | "update"
 * @param {number} l
 */
export function edgeModeAt(phase, mode, l) {
  return phase?.kind === "backward" && mode === "grad" && l < phase.cursor ? "weight" : mode;
}

/** @param {Phase | null} phase  a key that changes whenever the animation moves on */
export const phaseKey = (phase) => (phase ? `${phase.kind}:${phase.cursor}` : "");
