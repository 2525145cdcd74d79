// Thins the network view's labels out where there is no room: measures every label on the
// page and hides (data-thinned) those that would overlap a neuron or a label that matters
// more (label-place.js). A hidden value stays one hover or focus away (the tooltips). The
// exported SVG/PNG copies the drawing as shown, so it obeys the same rule.

import { placeLabels } from "./label-place.js";

/** What may be hidden, in order of importance (lower first); names are never hidden. */
const LABELS = [
  ["text.input-label, text.output-label, g.loss-node", 0],
  ["text.node-label:not(.node-label-side) > tspan.line", 1],
  ["text.node-label-side > tspan.line", 2],
  ["text.edge-label", 3],
];

/** @param {DOMRect} r */
const boxOf = (r) => ({ x: r.left, y: r.top, w: r.width, h: r.height });

/**
 * Hide the labels under `svg` that collide; returns how many were hidden. A layout without
 * value labels (a large network) has only the input and output names, apart from each other
 * and the neurons: nothing is measured then, so a large network's frames stay cheap.
 * @param {SVGSVGElement} svg
 * @param {{showNodeLabels: boolean, showEdgeLabels: boolean}} layout
 */
export function thinLabels(svg, layout) {
  if (!layout.showNodeLabels && !layout.showEdgeLabels) {
    for (const el of svg.querySelectorAll("[data-thinned]")) el.removeAttribute("data-thinned");
    return 0;
  }
  /** @type {Element[]} */
  const elements = [];
  const labels = [];
  for (const [selector, priority] of LABELS) {
    for (const el of svg.querySelectorAll(/** @type {string} */ (selector))) {
      if (!el.textContent) continue;
      labels.push({ id: elements.length, box: boxOf(el.getBoundingClientRect()), priority: /** @type {number} */ (priority) });
      elements.push(el);
    }
  }
  const obstacles = [...svg.querySelectorAll("g.node circle.body")].map((c) => boxOf(c.getBoundingClientRect()));
  const kept = placeLabels(labels, obstacles);
  let hidden = 0;
  elements.forEach((el, id) => {
    const thin = !kept.has(id);
    if (thin) hidden += 1;
    if (el.hasAttribute("data-thinned") !== thin) el.toggleAttribute("data-thinned", thin);
  });
  return hidden;
}
