// The edges of a large network drawn on a <canvas> under the SVG (issue 16): SVG re-rasterises
// every curve whose stroke changes, which at 8 hidden layers of 32 (7,000 edges) or the
// largest network (33,000) takes far longer than a frame. The canvas draws them in a few
// dozen strokes, one per colour step. The SVG paths stay (hidden) for the data-* hooks, the
// selection, the forward/backward signal and the export; hover and click find the edge under
// the pointer from the geometry (`edgeAt`), since such networks get no SVG hit areas.

import { edgeSteps } from "../colors.js";

const NULL_COLOR = "#dfe3ea"; // an edge whose value is not known yet (as the SVG edges)

/**
 * @typedef {{l: number, j: number, k: number, x0: number, y0: number, x1: number, y1: number}} EdgeGeometry
 */

export class EdgeCanvas {
  /** @param {HTMLCanvasElement} canvas */
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d");
    this.size = { w: 0, h: 0, dpr: 1 };
    this.buckets = [];
    /** @type {EdgeGeometry[]} */
    this.edges = [];
  }

  /** Show or hide the canvas (small networks draw their edges in SVG). */
  show(on) {
    this.canvas.hidden = !on;
    if (!on) this.edges = [];
  }

  /** Match the stage's size in CSS px, at the screen's pixel density. Returns whether it changed. */
  resize(w, h) {
    const dpr = window.devicePixelRatio || 1;
    if (w === this.size.w && h === this.size.h && dpr === this.size.dpr) return false;
    this.size = { w, h, dpr };
    this.canvas.width = Math.max(1, Math.round(w * dpr));
    this.canvas.height = Math.max(1, Math.round(h * dpr));
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    return true;
  }

  /**
   * Draw every edge: `stepOf(edge)` is its colour step (−1 when its value is unknown, else an
   * index into colors.js's edge steps) and `widthOf(step)` the stroke width of that step. One
   * path per step, drawn from the weakest to the strongest, so strong edges lie on top.
   * @param {EdgeGeometry[]} edges
   * @param {(e: EdgeGeometry) => number} stepOf
   * @param {(step: number) => number} widthOf
   */
  draw(edges, stepOf, widthOf) {
    this.edges = edges;
    const { ctx } = this;
    const { w, h, dpr } = this.size;
    const steps = edgeSteps();
    const paths = new Map();
    for (const e of edges) {
      const s = stepOf(e);
      let p = paths.get(s);
      if (!p) paths.set(s, (p = new Path2D()));
      const mx = (e.x0 + e.x1) / 2; // d3.linkHorizontal's curve
      p.moveTo(e.x0, e.y0);
      p.bezierCurveTo(mx, e.y0, mx, e.y1, e.x1, e.y1);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.lineCap = "butt"; // round caps cost more to rasterise and hardly show at these widths
    const mid = (steps.length - 1) / 2;
    const order = [...paths.keys()].sort((a, b) => (a < 0 ? -1 : b < 0 ? 1 : Math.abs(a - mid) - Math.abs(b - mid)));
    for (const s of order) {
      ctx.strokeStyle = s < 0 ? NULL_COLOR : steps[s];
      ctx.lineWidth = widthOf(s);
      ctx.stroke(paths.get(s));
    }
  }

  /**
   * The drawn edge nearest to (x, y) within `slack` px, or null. The curves between two
   * columns share their x(t), so t is found once per column pair and each edge's y follows.
   * @param {number} x
   * @param {number} y
   * @param {number} slack
   */
  edgeAt(x, y, slack = 4) {
    let best = null;
    let bestD = slack;
    /** @type {Map<number, {s: number, ds: number} | null>} */
    const atLayer = new Map();
    for (const e of this.edges) {
      let here = atLayer.get(e.l);
      if (here === undefined) {
        here = x < e.x0 || x > e.x1 ? null : curveAt(e.x0, e.x1, x);
        atLayer.set(e.l, here);
      }
      if (!here) continue;
      const dy = e.y1 - e.y0;
      const d = Math.abs(y - (e.y0 + dy * here.s)) / Math.hypot(1, dy * here.ds);
      if (d < bestD) {
        bestD = d;
        best = e;
      }
    }
    return best;
  }
}

/**
 * On the curve from x0 to x1 (control points at their middle): at which t it reaches x, as
 * s = 3t² − 2t³ (the share of the way in y) and ds = ds/dx (the slope per unit of Δy).
 */
function curveAt(x0, x1, x) {
  const mx = (x0 + x1) / 2;
  const xAt = (t) => {
    const u = 1 - t;
    return u * u * u * x0 + 3 * u * t * mx + t * t * t * x1;
  };
  let lo = 0, hi = 1;
  for (let i = 0; i < 24; i++) { // x(t) rises monotonically: bisect
    const t = (lo + hi) / 2;
    if (xAt(t) < x) lo = t; else hi = t;
  }
  const t = (lo + hi) / 2;
  const u = 1 - t;
  const dx = 3 * u * u * (mx - x0) + 3 * t * t * (x1 - mx);
  return { s: 3 * t * t - 2 * t * t * t, ds: dx > 1e-9 ? (6 * t * u) / dx : 1e9 };
}
