// Train and test loss over steps; hovering shows the step and its values. Clicking a step
// (or the arrow keys on the focused chart) chooses it to continue from (loss-continue.js).

import { changes, schedule } from "../frame.js";
import { el } from "../dom.js";
import { fmt, pct } from "../format.js";
import { showTooltip, moveTooltip, hideTooltip } from "./tooltip.js";
import { onLanguageChange, t } from "../i18n.js";
import { chartContinue } from "./loss-continue.js";

const MAX_POINTS = 800;
const PLAY_REDRAW_MS = 50; // while playing, redraw at most 20 times a second (a frame adds one point)
const NICE_STEPS = [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/**
 * The step axis ends at the next "nice" number past the last step (…, 400, 500, 600, 800, 1000, …):
 * while training, the axis and its labels then stay put for many frames instead of
 * being redrawn on every one, and the line grows into the room left (at most a third).
 */
function niceEnd(step) {
  if (step <= 10) return Math.max(1, Math.ceil(step));
  const scale = 10 ** Math.floor(Math.log10(step));
  return Math.round(scale * NICE_STEPS.find((m) => m * scale >= step));
}
const M = { l: 44, r: 10, t: 8, b: 22 };

export function mountLossChart(store, container, actions) {
  const svg = d3.select(container).append("svg").attr("tabindex", 0).attr("role", "slider")
    .attr("data-role", "loss-steps");
  const gx = svg.append("g").attr("class", "axis x");
  const gy = svg.append("g").attr("class", "axis y");
  const train = svg.append("path").attr("class", "line train");
  const test = svg.append("path").attr("class", "line test");
  const empty = svg.append("text").attr("class", "empty").text(t("chart.empty", "Press Step or Play to train"));
  const endDots = svg.append("g");
  const rule = svg.append("line").attr("class", "hover-rule").attr("visibility", "hidden");
  const chosenRule = svg.append("line").attr("class", "chosen-rule").attr("visibility", "hidden");
  const dots = svg.append("g");
  const overlay = svg.append("rect").attr("fill", "transparent");
  const logBox = el("input", { type: "checkbox", "data-control": "loss-log" });
  const cont = chartContinue(store, actions);
  /** @type {{session: string, step: number} | null} */
  let chosen = null; // the step chosen to continue from, in the session it was chosen in
  container.after(el("div", { class: "chart-legend" },
    el("span", {}, el("span", { class: "swatch" }), el("span", { i18n: ["split.train", "train"] })),
    el("span", {}, el("span", { class: "swatch test" }), el("span", { i18n: ["split.test", "test"] })),
    el("label", { class: "chip" }, logBox, el("span", { i18n: ["chart.log", "log scale"] }))), cont.button);
  logBox.addEventListener("change", () => request());
  const label = () => svg.attr("aria-label", t("chart.stepsLabel", "Loss over steps: arrow keys choose a step to continue from, Enter continues"));
  label();
  onLanguageChange(() => { empty.text(t("chart.empty", "Press Step or Play to train")); label(); });

  let size = { w: 0, h: 0 };
  let scales = null;
  new ResizeObserver(() => {
    size = { w: container.clientWidth, h: container.clientHeight };
    svg.attr("width", size.w).attr("height", size.h);
    request();
  }).observe(container);

  let drawnAt = 0;
  const request = () => schedule("loss-chart", () => {
    const wait = PLAY_REDRAW_MS - (performance.now() - drawnAt);
    if (store.state.playing && wait > 0) {
      clearTimeout(pending);
      pending = setTimeout(request, wait); // the newest history is drawn when the time comes
      return;
    }
    drawnAt = performance.now();
    render();
  });
  let pending = null;

  /**
   * (step, value) points of one history column, at most about MAX_POINTS of them.
   * @param {Record<string, any[]>} h
   * @param {string} key
   * @returns {[number, number][]}
   */
  function series(h, key) {
    const n = h.step.length;
    const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
    /** @type {[number, number][]} */
    const out = [];
    for (let i = 0; i < n; i += stride) if (h[key][i] !== null && h[key][i] !== undefined) out.push([h.step[i], h[key][i]]);
    if (n && (n - 1) % stride && h[key][n - 1] !== null) out.push([h.step[n - 1], h[key][n - 1]]);
    return out;
  }

  const xAxisChanged = changes();
  const yAxisChanged = changes();
  const frameChanged = changes();

  function render() {
    const h = store.state.history;
    if (size.w < 40) return;
    const log = logBox.checked;
    const tr = series(h, "train_loss");
    const te = series(h, "test_loss");
    const all = [...tr, ...te].map((d) => d[1]).filter((v) => Number.isFinite(v) && (!log || v > 0));
    const maxStep = h.step.length ? h.step[h.step.length - 1] : 1;
    const first = h.step[0] ?? 0;
    const sx = d3.scaleLinear().domain([first, Math.max(niceEnd(maxStep), first + 1)]).range([M.l, size.w - M.r]);
    const hi = d3.max(all) ?? 1;
    const lo = d3.min(all) ?? 0;
    // zoom to the values (a slow decline should not look flat), never below 0
    const pad = (hi - lo) * 0.12 || Math.abs(hi) * 0.05 || 0.5;
    const sy = log
      ? d3.scaleLog().domain([Math.max(lo, 1e-12), Math.max(hi, lo * 10, 1e-11)]).range([size.h - M.b, M.t]).nice()
      : d3.scaleLinear().domain([Math.max(0, lo - pad), hi + pad]).range([size.h - M.b, M.t]).nice();
    scales = { sx, sy };
    if (xAxisChanged(String(sx.domain()), String(sx.range()), size.h)) {
      const xTicks = sx.ticks(5).filter(Number.isInteger);
      gx.attr("transform", `translate(0,${size.h - M.b})`)
        .call(d3.axisBottom(sx).tickValues(xTicks).tickSize(3).tickFormat(d3.format(sx.domain()[1] >= 10000 ? "~s" : "d")));
    }
    if (yAxisChanged(String(sy.domain()), String(sy.range()), log)) {
      gy.attr("transform", `translate(${M.l},0)`).call(d3.axisLeft(sy).ticks(4, log ? "~e" : "~g").tickSize(3));
    }
    const line = d3.line().defined((d) => Number.isFinite(d[1]) && (!log || d[1] > 0)).x((d) => sx(d[0])).y((d) => sy(d[1]));
    train.attr("d", tr.length ? line(tr) : null);
    test.attr("d", te.length ? line(te) : null);
    // the latest values as dots, so a run of one step shows too
    /** @type {[[number, number][], string][]} */
    const lines = [[tr, "#1f2a3a"], [te, "#12707f"]];
    const ends = lines.filter(([s]) => s.length && Number.isFinite(s[s.length - 1][1]) && (!log || s[s.length - 1][1] > 0))
      .map(([s, c]) => ({ p: s[s.length - 1], c }));
    endDots.selectAll("circle").data(ends).join("circle").attr("r", 3)
      .attr("cx", (d) => sx(d.p[0])).attr("cy", (d) => sy(d.p[1])).attr("fill", (d) => d.c);
    // a choice belongs to its session and its run (Reset or Undo can take the step away)
    if (chosen && (chosen.session !== store.state.session?.id || !h.step.includes(chosen.step))) {
      chosen = null;
      cont.clear();
      svg.attr("aria-valuenow", null).attr("aria-valuetext", null);
    }
    chosenRule.attr("visibility", chosen ? "visible" : "hidden");
    if (chosen) chosenRule.attr("x1", sx(chosen.step)).attr("x2", sx(chosen.step)).attr("y1", M.t).attr("y2", size.h - M.b);
    if (frameChanged(size.w, size.h, tr.length > 0)) {
      empty.attr("x", (M.l + size.w - M.r) / 2).attr("y", size.h / 2).attr("visibility", tr.length ? "hidden" : "visible");
      overlay.attr("x", M.l).attr("y", M.t).attr("width", Math.max(0, size.w - M.l - M.r)).attr("height", Math.max(0, size.h - M.t - M.b));
    }
  }

  overlay.on("mousemove", (event) => {
    const h = store.state.history;
    if (!scales || !h.step.length) return;
    const [px] = d3.pointer(event, svg.node());
    const stepAt = scales.sx.invert(px);
    const i = Math.min(h.step.length - 1, d3.bisectCenter(h.step, stepAt));
    const x = scales.sx(h.step[i]);
    rule.attr("x1", x).attr("x2", x).attr("y1", M.t).attr("y2", size.h - M.b).attr("visibility", "visible");
    const pts = [["train_loss", "#1f2a3a"], ["test_loss", "#12707f"]].filter(([k]) => Number.isFinite(h[k][i]) && (!logBox.checked || h[k][i] > 0));
    dots.selectAll("circle").data(pts).join("circle").attr("class", "hover-dot").attr("r", 4)
      .attr("cx", x).attr("cy", ([k]) => scales.sy(h[k][i])).attr("fill", ([, c]) => c);
    const rows = [[t("metric.trainLoss", "train loss"), fmt(h.train_loss[i], { digits: 4 })]];
    if (h.test_loss[i] !== null && h.test_loss[i] !== undefined) rows.push([t("metric.testLoss", "test loss"), fmt(h.test_loss[i], { digits: 4 })]);
    if (h.train_accuracy[i] !== null && h.train_accuracy[i] !== undefined) rows.push([t("chart.trainAccuracy", "train accuracy"), pct(h.train_accuracy[i])]);
    if (h.test_accuracy[i] !== null && h.test_accuracy[i] !== undefined) rows.push([t("chart.testAccuracy", "test accuracy"), pct(h.test_accuracy[i])]);
    showTooltip(event, { title: t("chart.step", "step {step}", { step: h.step[i] }), rows });
    moveTooltip(event);
  }).on("mouseleave", () => {
    rule.attr("visibility", "hidden");
    dots.selectAll("circle").remove();
    hideTooltip();
  });

  /** @param {number} i  an index into the history */
  function choose(i) {
    const h = store.state.history;
    const step = h.step[Math.max(0, Math.min(h.step.length - 1, i))];
    if (step === undefined || !store.state.session) return;
    chosen = { session: store.state.session.id, step };
    svg.attr("aria-valuemin", h.step[0]).attr("aria-valuemax", h.step[h.step.length - 1])
      .attr("aria-valuenow", step).attr("aria-valuetext", t("chart.step", "step {step}", { step }));
    cont.choose(step);
    request();
  }

  overlay.on("click", (event) => {
    const h = store.state.history;
    if (!scales || !h.step.length) return;
    choose(d3.bisectCenter(h.step, scales.sx.invert(d3.pointer(event, svg.node())[0])));
  });
  svg.on("keydown", (event) => {
    const h = store.state.history;
    if (!h.step.length) return;
    if (event.key === "Enter" || event.key === " ") {
      if (!cont.button.hidden && !cont.button.disabled) cont.button.click();
      event.preventDefault();
      return;
    }
    const at = chosen ? d3.bisectLeft(h.step, chosen.step) : h.step.length - 1;
    const page = Math.max(1, Math.round(h.step.length / 10));
    const moves = { ArrowLeft: at - 1, ArrowDown: at - 1, ArrowRight: at + 1, ArrowUp: at + 1,
      PageDown: at - page, PageUp: at + page, Home: 0, End: h.step.length - 1 };
    if (!(event.key in moves)) return;
    event.preventDefault();
    choose(chosen ? moves[event.key] : at);
  });

  store.on("history", request);
}
