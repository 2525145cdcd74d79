// Shared pieces of the two data plots (the data panel's scatter and the output
// plot): the input domain, the points (train filled, test hollow) and axes.

import { classColor, signed } from "../colors.js";
import { t } from "../i18n.js";

/** [[x1min, x1max], [x2min, x2max]] (or one pair for 1-D) of the current data. */
export function domainOf(state) {
  const b = state.boundary?.domain;
  if (Array.isArray(b) && Array.isArray(b[0])) return b;
  const d = state.session?.dataset;
  const dims = d?.input_dim ?? 2;
  const c = state.catalog?.domain;
  let pair = null;
  if (Array.isArray(c) && Array.isArray(c[0])) return c.slice(0, dims);
  if (Array.isArray(c) && c.length === 2 && Number.isFinite(c[0])) pair = c;
  else if (c && typeof c === "object") pair = [c.min ?? c.lo ?? -6, c.max ?? c.hi ?? 6];
  if (!pair && d?.x?.length) {
    const all = [...d.x, ...(d.test_x ?? [])];
    return d3.range(dims).map((i) => {
      const [lo, hi] = d3.extent(all, (r) => r[i]);
      const pad = (hi - lo || 1) * 0.1;
      return [lo - pad, hi + pad];
    });
  }
  pair = pair ?? [-6, 6];
  return d3.range(dims).map(() => pair);
}

/** Every point of the session as {x, y, split, index, label|target}. */
function pointsOf(state) {
  const d = state.session?.dataset;
  if (!d) return [];
  const out = [];
  const add = (xs, ys, split) => (xs ?? []).forEach((x, index) => out.push({ x, y: ys[index], split, index, key: `${split}:${index}` }));
  // classification: the raw 0/1 labels (y may be one-hot for a softmax pair)
  add(d.x, d.labels ?? d.y, "train");
  add(d.test_x, d.test_labels ?? d.test_y, "test");
  return out;
}

/** The colour of a point: its class, or its target on the diverging scale. */
function pointColor(p, kind, dims = 2) {
  if (dims === 1) return "#3a4358"; // a curve plot: the height is the target already
  if (kind === "classification") {
    const label = p.y.length > 1 ? p.y.indexOf(Math.max(...p.y)) : p.y[0];
    return p.y.length > 2 ? d3.schemeTableau10[label % 10] : classColor(label); // k > 2 classes: one hue each
  }
  return signed(p.y[0], 1);
}

/**
 * Keep `svg` as large as `container` and call `redraw` whenever that changes. Answers the
 * size {w, h}, kept current (0 × 0 until the first measurement).
 * @param {HTMLElement} container
 * @param {any} svg  d3 selection of the plot's <svg>
 * @param {() => void} redraw
 */
export function fitSvg(container, svg, redraw) {
  const size = { w: 0, h: 0 };
  new ResizeObserver(() => {
    size.w = container.clientWidth;
    size.h = container.clientHeight;
    svg.attr("width", size.w).attr("height", size.h);
    redraw();
  }).observe(container);
  return size;
}

/**
 * The one <g> matching `selector` (e.g. "g.x") in `parent`, made when missing: where an axis goes.
 * @param {any} parent  d3 selection
 * @param {string} selector
 * @returns {import("d3").Selection<SVGGElement, number, any, unknown>}
 */
export function axisGroup(parent, selector) {
  return parent.selectAll(selector).data([0]).join("g");
}

/**
 * Draw points into `g` with scales sx, sy; `yOf(p)` gives the vertical coordinate.
 * @param {any} g  d3 selection of an SVG <g>
 * @param {any} state
 * @param {{sx: (v: number) => number, sy: (v: number) => number, yOf: (p: any) => number, radius?: number,
 *          onClick?: (event: MouseEvent, p: any) => void, xOf?: (p: any) => number}} options
 */
export function drawPoints(g, state, { sx, sy, yOf, radius = 3.5, onClick, xOf = (p) => p.x[0] }) {
  const kind = state.session?.dataset?.kind;
  const dims = state.session?.dataset?.input_dim ?? 2;
  const sample = state.sample;
  const pts = pointsOf(state);
  const sel = g.selectAll("circle.pt").data(pts, (p) => p.key).join("circle")
    .attr("class", "pt")
    .classed("is-test", (p) => p.split === "test")
    .classed("is-sample", (p) => p.split === sample.split && p.index === sample.index)
    .attr("data-split", (p) => p.split)
    .attr("cx", (p) => sx(xOf(p)))
    .attr("cy", (p) => sy(yOf(p)))
    .attr("r", (p) => (p.split === sample.split && p.index === sample.index ? radius + 2 : radius))
    .attr("fill", (p) => pointColor(p, kind, dims))
    .style("stroke", (p) => (p.split === "test" ? pointColor(p, kind, dims) : kind === "regression" && dims === 2 ? "#3a4358" : null))
    .style("stroke-width", (p) => (p.split !== "test" && kind === "regression" && dims === 2 ? "0.6px" : null));
  sel.filter((p) => p.split === sample.split && p.index === sample.index).raise();
  if (onClick) sel.on("click", onClick);
  return sel;
}

/** A compact legend: class/target colours and train (filled) vs test (hollow). */
export function pointLegend(container, kind, dims = 2) {
  const root = d3.select(container);
  root.selectAll(".point-legend").data([kind]).join("div").attr("class", "point-legend")
    .each(function () {
      const box = d3.select(this);
      box.selectAll("*").remove();
      const item = (draw, text) => {
        const s = box.append("span");
        const svg = s.append("svg").attr("width", 12).attr("height", 12);
        draw(svg.append("circle").attr("cx", 6).attr("cy", 6).attr("r", 4.2));
        s.append("span").text(` ${text}`);
      };
      if (kind === "classification" && dims === 2) {
        item((c) => c.attr("fill", classColor(1)), t("plot.class", "class {label}", { label: 1 }));
        item((c) => c.attr("fill", classColor(0)), t("plot.class", "class {label}", { label: 0 }));
      }
      item((c) => c.attr("fill", "#7a8397"), t("split.train", "train"));
      item((c) => c.attr("fill", "#fff").attr("stroke", "#7a8397").attr("stroke-width", 1.8), t("split.test", "test"));
    });
}
