// The output over the input plane (GET /boundary) with the data on top:
// a heatmap for 2-D inputs, a curve for 1-D. With more inputs the heatmap spans the two
// features chosen in the own-data controls, every other one held at its training mean
// (the subtitle says so). Clicking a point selects it as the sample the network view shows.

import { legend } from "../colors.js";
import { changes, schedule } from "../frame.js";
import { paintHeatmap } from "./heatmap.js";
import { axisGroup, drawPoints, fitSvg } from "./plot.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { featureNames } from "../own-data.js";

const fmt = d3.format(".3~g");

const M = { l: 28, r: 8, t: 6, b: 22 };

export function mountBoundary(store, actions, { container, legendSlot, subtitle }) {
  const canvas = document.createElement("canvas");
  canvas.setAttribute("data-role", "boundary-canvas");
  container.append(canvas);
  const svg = d3.select(container).append("svg");
  const gAxes = svg.append("g");
  const curve = svg.append("path").attr("fill", "none").attr("stroke", "#1f2a3a").attr("stroke-width", 2.2);
  const frame = svg.append("rect").attr("class", "frame-rect");
  const gPts = svg.append("g");
  const request = () => schedule("boundary", render);
  const size = fitSvg(container, svg, request);

  function range(state) {
    return state.session?.dataset?.kind === "classification" ? { lo: 0, mid: 0.5, hi: 1 } : { lo: -1, mid: 0, hi: 1 };
  }

  // During Play a new grid arrives ~10 times a second and the session every frame; the
  // axes, points and legend depend only on the data, the sample and the plot's size.
  const plotChanged = changes();

  function render() {
    const state = store.state;
    const { session, boundary } = state;
    if (!session || size.w < 40) return;
    const dims = boundary?.dims ?? Math.min(2, session.dataset.input_dim);
    const [fx, fy] = boundary?.plane ?? [0, 1];
    const W = size.w - M.l - M.r;
    const H = size.h - M.t - M.b;
    const dom = boundary?.domain ?? [[-6, 6], [-6, 6]];
    const sx = d3.scaleLinear().domain(dom[0]).range([M.l, M.l + W]);
    const rg = range(state);
    let sy;
    if (dims === 2) {
      sy = d3.scaleLinear().domain(dom[1]).range([M.t + H, M.t]);
      canvas.hidden = !boundary;
      if (boundary) paintHeatmap(canvas, boundary, boundary.output, (v) => v, rg, `${boundary.step}:${boundary.output.length}:${session.id}`);
    } else {
      canvas.hidden = true;
      const ys = [...session.dataset.y, ...(session.dataset.test_y ?? [])].map((r) => r[0]);
      const out = boundary?.output ?? [];
      const ext = d3.extent([...ys, ...out.filter(Number.isFinite), -1, 1]);
      const pad = (ext[1] - ext[0]) * 0.08;
      sy = d3.scaleLinear().domain([ext[0] - pad, ext[1] + pad]).range([M.t + H, M.t]);
      const xs = d3.range(out.length).map((i) => dom[0][0] + ((dom[0][1] - dom[0][0]) * i) / Math.max(1, out.length - 1));
      curve.attr("d", out.length ? d3.line()(out.map((v, i) => [sx(xs[i]), sy(v)])) : null);
    }
    const over = boundary?.plane ? heldText(boundary, session.dataset.input_dim)
      : dims === 2 ? t("output.plane", "over the input plane") : t("output.line", "over x");
    const subtitleText = boundary ? `${over} · ${t("chart.step", "step {step}", { step: boundary.step })}` : "";
    if (subtitle.textContent !== subtitleText) subtitle.textContent = subtitleText;
    const yDomain = String(sy.domain());
    if (!plotChanged(session.dataset, state.sample, size.w, size.h, dims, String(dom), yDomain, getLanguage(), fx, fy)) return;
    if (dims === 2) {
      d3.select(canvas).style("left", `${M.l}px`).style("top", `${M.t}px`).style("width", `${W}px`).style("height", `${H}px`);
      curve.attr("d", null);
    }
    frame.attr("x", M.l).attr("y", M.t).attr("width", W).attr("height", H);
    axisGroup(gAxes, "g.x").attr("class", "axis x")
      .attr("transform", `translate(0,${M.t + H})`).call(d3.axisBottom(sx).ticks(6).tickSize(3));
    axisGroup(gAxes, "g.y").attr("class", "axis y")
      .attr("transform", `translate(${M.l},0)`).call(d3.axisLeft(sy).ticks(6).tickSize(3));
    drawPoints(gPts, state, {
      sx, sy, xOf: (p) => p.x[fx], yOf: (p) => (dims === 1 ? p.y[0] : p.x[fy]), radius: size.w > 340 ? 3.8 : 3.2,
      onClick: (event, p) => actions.selectSample({ split: p.split, index: p.index }),
    });
    const cls = session.dataset.kind === "classification";
    // a softmax over k > 2 classes: the grid is the first unit, the first class's probability
    const first = session.network.layers.at(-1) > 2 ? state.table?.classes?.[0] ?? "0" : null;
    legend(legendSlot, {
      title: !cls ? t("output.legendRegression", "output ŷ")
        : first !== null ? t("output.legendClassOf", "P(class {name})", { name: first }) : t("output.legendClass", "P(class 1)"),
      ticks: cls ? ["0", "0.5", "1"] : ["−1", "0", "+1"],
      width: 120,
    });
  }

  /**
   * "petal length × petal width; the others held at their mean: sepal length 5.8, …".
   * @param {{plane: number[], held: number[]}} b @param {number} d
   */
  function heldText(b, d) {
    const names = featureNames(store.state.table, d);
    const held = b.held.map((v, i) => (b.plane.includes(i) ? null : `${names[i]} ${fmt(v)}`)).filter(Boolean);
    return t("own.planeHeld", "{x} × {y}; the other {n} held at their mean: {held}",
      { x: names[b.plane[0]], y: names[b.plane[1]], n: held.length, held: held.length > 4 ? `${held.slice(0, 3).join(", ")}, …` : held.join(", ") });
  }

  store.on(["session", "boundary", "sample"], request);
  onLanguageChange(request);
}
