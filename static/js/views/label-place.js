// Which labels of the network view to show so that no label's box overlaps another shown
// label or a neuron: a greedy pass in priority order (input/output names, then a, then δ,
// then edge values). Pure geometry on boxes; the view measures and hides (network-thin.js).

/**
 * @typedef {{x: number, y: number, w: number, h: number}} Box
 * @typedef {{id: number, box: Box, priority: number}} Label
 */

/**
 * Whether two boxes overlap by more than `slack` px in both directions.
 * @param {Box} a
 * @param {Box} b
 */
export function overlaps(a, b, slack = 0.5) {
  return a.x + a.w - slack > b.x && b.x + b.w - slack > a.x && a.y + a.h - slack > b.y && b.y + b.h - slack > a.y;
}

/**
 * The ids of the labels to keep: lower priority numbers first, and within one priority the
 * given order; a label is kept when it overlaps no obstacle and no label kept before it.
 * @param {Label[]} labels
 * @param {Box[]} obstacles  the neurons
 * @returns {Set<number>}
 */
export function placeLabels(labels, obstacles) {
  const order = labels.map((l, i) => ({ l, i })).sort((a, b) => a.l.priority - b.l.priority || a.i - b.i);
  /** @type {Box[]} */
  const kept = [];
  const ids = new Set();
  for (const { l } of order) {
    if (l.box.w <= 0 || l.box.h <= 0) continue;
    if (obstacles.some((o) => overlaps(l.box, o)) || kept.some((k) => overlaps(l.box, k))) continue;
    kept.push(l.box);
    ids.add(l.id);
  }
  return ids;
}

/**
 * Labels no wider than `room` px: a longer one keeps its start and ends in "…" (its whole
 * text stays in the neuron's tooltip).
 * @param {string[]} labels
 * @param {number} room
 * @param {(text: string) => number} width  a text's width in px
 * @returns {string[]}
 */
export function fitLabels(labels, room, width) {
  return labels.map((text) => {
    if (width(text) <= room) return text;
    let n = text.length - 1;
    while (n > 1 && width(`${text.slice(0, n).trimEnd()}…`) > room) n -= 1;
    return `${text.slice(0, n).trimEnd()}…`;
  });
}
