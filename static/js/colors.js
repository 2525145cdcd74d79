// ONE diverging scale for every signed value on the page: orange = negative,
// near-white = 0, purple = positive (ColorBrewer PuOr, colour-blind safe).
// Every view colours signed numbers through `signed`, and shows a `legend`.

const STOPS = [
  "#b35806", "#e08214", "#fdb863", "#fee0b6", "#f3f1ef",
  "#d8daeb", "#b2abd2", "#8073ac", "#542788",
];
const ramp = d3.interpolateRgbBasis(STOPS);

// The ramp at 256 steps (a colour channel's resolution), as CSS colour strings: a lookup instead
// of an interpolation for each of the hundreds of neurons recoloured during Play.
const RAMP_STEPS = 255;
const RAMP_TABLE = Array.from({ length: RAMP_STEPS + 1 }, (_, i) => ramp(i / RAMP_STEPS));

/** Colour of t in [0, 1] along the ramp (0 orange, 0.5 neutral, 1 purple). */
export function rampColor(t) {
  const clamped = Number.isNaN(t) ? 0.5 : Math.max(0, Math.min(1, t));
  return RAMP_TABLE[Math.round(clamped * RAMP_STEPS)];
}

/** Colour of a signed value v on the domain [−max, +max] (clamped). */
export function signed(v, max = 1) {
  if (!Number.isFinite(v)) return "#999";
  const m = max > 0 ? max : 1;
  return rampColor(0.5 + 0.5 * (v / m));
}

// Edges take the ramp in 64 steps: while playing, a large network's thousand edges are
// restyled a few times a second, and an edge whose weight moved less than a step keeps its
// colour, so the browser restyles fewer (measured on 6 hidden layers of 16: about 3 fps more).
const EDGE_STEPS = 63;
const EDGE_TABLE = Array.from({ length: EDGE_STEPS + 1 }, (_, i) => ramp(i / EDGE_STEPS));

/** `signed` in the edges' 64 steps. */
export function signedEdge(v, max = 1) {
  return Number.isFinite(v) ? EDGE_TABLE[edgeStep(v, max)] : "#999";
}

/** Which of the edges' 64 colour steps a finite v on [−max, +max] takes (0 … 63). */
export function edgeStep(v, max = 1) {
  const m = max > 0 ? max : 1;
  const t = Math.max(0, Math.min(1, 0.5 + 0.5 * (v / m)));
  return Math.round(t * EDGE_STEPS);
}

/** The edges' 64 colour steps, orange (most negative) to purple (most positive). */
export function edgeSteps() {
  return EDGE_TABLE;
}

/**
 * A ReLU that is off (a = 0 exactly): a colour of its own, dark and outside the ramp, so
 * it never reads as the pale shade of "almost 0". Used when a scale has `zero: true`.
 */
export const ZERO_ACTIVATION = "#2b3040";
export const ZERO_ACTIVATION_RGB = [0x2b, 0x30, 0x40];

/** A scale v ↦ colour for a domain [lo, hi] whose neutral colour sits at mid. */
export function divergingScale(lo, mid, hi) {
  return (v) => {
    if (!Number.isFinite(v)) return "#999";
    const t = v >= mid ? 0.5 + 0.5 * ((v - mid) / (hi - mid || 1)) : 0.5 - 0.5 * ((mid - v) / (mid - lo || 1));
    return rampColor(t);
  };
}

/** Colours of the two classes: class 1 purple (positive end), class 0 orange (negative end). */
export function classColor(label) {
  return rampColor(label >= 0.5 ? 0.92 : 0.08);
}

/** A 256-entry lookup table of the ramp for fast canvas heatmaps. */
export const LUT = (() => {
  const table = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const c = d3.rgb(ramp(i / 255));
    table[i * 3] = c.r; table[i * 3 + 1] = c.g; table[i * 3 + 2] = c.b;
  }
  return table;
})();

let gradientCounter = 0;

/**
 * Render (or update) a legend into `container`: a title, a gradient bar and the
 * domain's low / mid / high values. `ticks` are the three labels to print.
 */
export function legend(container, { title, ticks, width = 120 }) {
  const root = d3.select(container);
  let box = root.select(".legend");
  if (box.empty()) {
    box = root.append("div").attr("class", "legend");
    box.append("span").attr("class", "legend-title");
    const svg = box.append("svg").attr("height", 24);
    const id = `legend-grad-${++gradientCounter}`;
    const grad = svg.append("defs").append("linearGradient").attr("id", id);
    grad.selectAll("stop").data(d3.range(0, 1.0001, 0.125)).join("stop")
      .attr("offset", (d) => `${d * 100}%`).attr("stop-color", (d) => rampColor(d));
    svg.append("rect").attr("class", "legend-bar").attr("y", 0).attr("height", 10).attr("rx", 2)
      .attr("fill", `url(#${id})`).attr("stroke", "#c8cfdb");
  }
  box.select(".legend-title").text(title);
  const svg = box.select("svg").attr("width", width);
  svg.select(".legend-bar").attr("width", width);
  svg.selectAll("text").data(ticks).join("text")
    .attr("x", (_, i) => (i * width) / (ticks.length - 1))
    .attr("y", 22)
    .attr("text-anchor", (_, i) => (i === 0 ? "start" : i === ticks.length - 1 ? "end" : "middle"))
    .text((d) => d);
  return box.node();
}
