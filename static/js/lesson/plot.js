// Step 2's pictures: the cost curve C(w) = ½w⁴ with the current w, its tangent and the
// SGD iterates (drag the point to move w⁰), and the loss of those iterations. The curve
// is the formula; the point's slope, the iterates and the losses are the engine's.

const W = 360;
const H = 200;
const M = { l: 34, r: 10, t: 10, b: 24 };

/**
 * @param {HTMLElement} container
 * @param {{onDrag: (w: number) => void}} options
 */
export function createCostPlot(container, { onDrag }) {
  const svg = d3.select(container).append("svg").attr("class", "lesson-plot").attr("viewBox", `0 0 ${W} ${H}`)
    .attr("data-lesson-plot", "cost").attr("role", "img");
  const sx = d3.scaleLinear().domain([-2.6, 2.6]).range([M.l, W - M.r]);
  const sy = d3.scaleLinear().domain([0, 10]).range([H - M.b, M.t]);
  svg.append("g").attr("transform", `translate(0,${H - M.b})`).attr("class", "axis").call(d3.axisBottom(sx).ticks(6));
  svg.append("g").attr("transform", `translate(${M.l},0)`).attr("class", "axis").call(d3.axisLeft(sy).ticks(4));
  svg.append("text").attr("class", "lesson-axis-label").attr("x", W - M.r).attr("y", H - M.b - 4).attr("text-anchor", "end").text("w");
  svg.append("text").attr("class", "lesson-axis-label").attr("x", M.l + 4).attr("y", M.t + 10).text("C(w) = ½w⁴");
  const clip = `lesson-clip-${Math.random().toString(36).slice(2)}`;
  svg.append("clipPath").attr("id", clip).append("rect").attr("x", M.l).attr("y", M.t).attr("width", W - M.l - M.r).attr("height", H - M.t - M.b);
  const inner = svg.append("g").attr("clip-path", `url(#${clip})`);
  const ws = d3.range(-2.6, 2.601, 0.02);
  const curve = /** @type {[number, number][]} */ (ws.map((w) => [sx(w), sy(0.5 * w ** 4)]));
  inner.append("path").attr("class", "lesson-curve").attr("d", d3.line()(curve));
  const tangent = inner.append("line").attr("class", "lesson-tangent");
  const steps = inner.append("path").attr("class", "lesson-iter-path");
  const dots = inner.append("g");
  const point = svg.append("circle").attr("class", "lesson-point").attr("r", 7).attr("tabindex", 0).attr("data-lesson-drag", "w")
    .call(d3.drag().on("drag", (event) => {
      const w = Math.max(-2.5, Math.min(2.5, sx.invert(event.x)));
      point.attr("cx", sx(w)).attr("cy", sy(0.5 * w ** 4));
    }).on("end", (event) => onDrag(Math.round(Math.max(-2.5, Math.min(2.5, sx.invert(event.x))) * 100) / 100)));

  return {
    /**
     * @param {number} w  the current w⁰
     * @param {number | null} loss  C(w⁰) from the engine
     * @param {number | null} slope  ∂C/∂w at w⁰ from the engine
     * @param {number[]} iterates  w⁰ … w^k from the engine
     */
    update(w, loss, slope, iterates) {
      const c = loss ?? 0.5 * w ** 4;
      point.attr("cx", sx(w)).attr("cy", sy(c));
      if (slope !== null) {
        const d = 0.9;
        tangent.attr("x1", sx(w - d)).attr("y1", sy(c - slope * d)).attr("x2", sx(w + d)).attr("y2", sy(c + slope * d));
      }
      // a diverging run leaves the picture: its points are clamped a little outside the frame
      const clamp = (v) => Math.max(-2 * H, Math.min(3 * H, v));
      const pts = iterates.filter(Number.isFinite).map((v) => [clamp(sx(v)), clamp(sy(0.5 * v ** 4))]);
      steps.attr("d", pts.length ? d3.line()(/** @type {[number, number][]} */ (pts)) : null);
      dots.selectAll("circle").data(pts).join("circle").attr("class", "lesson-iter").attr("r", 2.6)
        .attr("cx", (p) => p[0]).attr("cy", (p) => p[1]);
    },
  };
}

/** The loss of each SGD iteration (the engine's train loss per step), log scale. */
export function createLossPlot(container) {
  const h = 130;
  const svg = d3.select(container).append("svg").attr("class", "lesson-plot").attr("viewBox", `0 0 ${W} ${h}`).attr("data-lesson-plot", "loss");
  const gx = svg.append("g").attr("class", "axis").attr("transform", `translate(0,${h - M.b})`);
  const gy = svg.append("g").attr("class", "axis").attr("transform", `translate(${M.l},0)`);
  const line = svg.append("path").attr("class", "lesson-loss-line");
  svg.append("text").attr("class", "lesson-axis-label").attr("x", W - M.r).attr("y", h - M.b - 4).attr("text-anchor", "end").text("t");
  return {
    /** @param {number[]} steps @param {number[]} losses */
    update(steps, losses) {
      const ok = losses.map((v, i) => [steps[i], v]).filter((p) => Number.isFinite(p[1]) && p[1] > 0);
      const sx = d3.scaleLinear().domain([0, Math.max(1, d3.max(steps) ?? 1)]).range([M.l, W - M.r]);
      const lo = d3.min(ok, (p) => p[1]) ?? 1e-3;
      const hi = d3.max(ok, (p) => p[1]) ?? 1;
      const sy = d3.scaleLog().domain([Math.min(lo, hi / 10), hi]).range([h - M.b, M.t]).nice();
      gx.call(d3.axisBottom(sx).ticks(6));
      gy.call(d3.axisLeft(sy).ticks(3, "~g"));
      line.attr("d", d3.line().x((p) => sx(p[0])).y((p) => sy(p[1]))(/** @type {[number, number][]} */ (ok)));
    },
  };
}
