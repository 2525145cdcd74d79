// The data panel: dataset picker with its parameters (from the catalog), and a
// scatter plot of the points. Click adds a point of the class chosen in the own-data
// controls (shift-click: the other class; regression: its target value, shift −1); clicking
// a point removes it. With more than two inputs the plot shows two chosen features.

import { el, field, setOptions, syncValue } from "../dom.js";
import { datasetEntry, isBuiltinDataset } from "../spec.js";
import { axisGroup, domainOf, drawPoints, fitSvg, pointLegend } from "./plot.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { changes } from "../frame.js";
import { planeOf } from "../own-data.js";

/** A built-in dataset's description in the current language (the catalog has the English). */
const datasetDescription = (entry) => t(`dataset.${entry.name}.description`, entry.description ?? "");

/** A dataset parameter's range from its catalog entry, whatever shape the catalog uses. */
function paramRange(entry, key, fallback) {
  const cand = entry?.[`${key}_range`] ?? entry?.params?.[key] ?? entry?.parameters?.[key] ?? entry?.ranges?.[key];
  if (Array.isArray(cand)) return { ...fallback, min: cand[0], max: cand[1] };
  if (cand && typeof cand === "object") {
    return { ...fallback, min: cand.min ?? cand.minimum ?? fallback.min, max: cand.max ?? cand.maximum ?? fallback.max };
  }
  return fallback;
}

export function mountData(store, actions, { controls, scatter, hint }) {
  const picker = el("select", { "data-control": "dataset", "i18n-aria-label": ["data.dataset", "Dataset"] });
  const description = el("p", { class: "hint" });
  const slider = (key, label, fmtValue) => {
    const input = el("input", { type: "range", "data-control": key, "i18n-aria-label": label });
    const out = el("output", { class: "field-value" });
    input.addEventListener("input", () => { out.textContent = fmtValue(Number(input.value)); });
    input.addEventListener("change", () => actions.editDataset({ [key]: Number(input.value) }));
    return { input, out, row: field(label, input, out), fmtValue };
  };
  const noise = slider("noise", ["data.noise", "Noise"], (v) => `${Math.round(v * 100)}%`);
  const samples = slider("n_samples", ["data.samples", "Samples"], (v) => String(v));
  const testFraction = slider("test_fraction", ["data.testSplit", "Test split"], (v) => `${Math.round(v * 100)}%`);
  const seedOut = el("span", { class: "field-value", "data-control": "data-seed" });
  const regenerate = el("button", {
    type: "button", class: "btn btn-small", i18n: ["data.regenerate", "Regenerate"], "data-control": "regenerate",
    onclick: () => actions.editDataset({ seed: Math.floor(Math.random() * 100000) }),
  });
  controls.append(field(["data.dataset", "Dataset"], picker), description, noise.row, samples.row, testFraction.row,
    field(["data.seed", "Data seed"], seedOut, regenerate));
  picker.addEventListener("change", () => actions.editDataset({ name: picker.value }));

  // --- scatter plot ----------------------------------------------------------------------------
  const svg = d3.select(scatter).append("svg").attr("class", "scatter-svg");
  const gAxes = svg.append("g");
  const frame = svg.append("rect").attr("class", "frame-rect");
  const gPts = svg.append("g");
  const legendBox = el("div", { class: "legend-slot" });
  scatter.after(legendBox);
  const size = fitSvg(scatter, svg, () => renderScatter());

  const M = { l: 26, r: 6, t: 6, b: 20 };
  let scales = null;

  svg.on("click", (event) => {
    const { session } = store.state;
    if (!scales || !session || session.dataset.input_dim > 2) return; // a point needs every feature
    if (/** @type {Element} */ (event.target)?.classList?.contains("pt")) return; // a point: removed by its own handler
    const [px, py] = d3.pointer(event, svg.node());
    if (px < M.l || px > size.w - M.r || py < M.t || py > size.h - M.b) return;
    const x1 = scales.sx.invert(px);
    const v = scales.sy.invert(py);
    const d = session.dataset;
    const round = (t) => Math.round(t * 100) / 100;
    if (d.input_dim === 1) {
      actions.addPoint([round(x1)], [round(v)]);
    } else if (d.kind === "classification") {
      const label = Number(store.state.drawLabel) >= 0.5 ? 1 : 0;
      actions.addPoint([round(x1), round(v)], [event.shiftKey ? 1 - label : label]);
    } else {
      actions.addPoint([round(x1), round(v)], [event.shiftKey ? -1 : Number(store.state.drawLabel)]);
    }
  });

  let drawn = {};
  function renderScatter() {
    const state = store.state;
    const { session } = state;
    if (!session || size.w < 40) return;
    // during play only the weights change: redraw when the points, sample, domain or size do
    const now = { dataset: session.dataset, sample: state.sample, domain: state.boundary?.domain?.join(), w: size.w, h: size.h, plane: state.plane };
    if (Object.keys(now).every((k) => drawn[k] === now[k])) return;
    drawn = now;
    const dims = session.dataset.input_dim;
    const [fx, fy] = planeOf(state);
    const dom = dims > 2 ? [featureExtent(session.dataset, fx), featureExtent(session.dataset, fy)] : domainOf(state);
    const sx = d3.scaleLinear().domain(dom[0]).range([M.l, size.w - M.r]);
    const ys = [...(session.dataset.y ?? []), ...(session.dataset.test_y ?? [])].map((r) => r[0]);
    const yDom = dims === 1 ? padExtent(d3.extent([...ys, -1, 1])) : dom[1];
    const sy = d3.scaleLinear().domain(yDom).range([size.h - M.b, M.t]);
    scales = { sx, sy };
    frame.attr("x", M.l).attr("y", M.t).attr("width", size.w - M.l - M.r).attr("height", size.h - M.t - M.b);
    axisGroup(gAxes, "g.x").attr("class", "axis x")
      .attr("transform", `translate(0,${size.h - M.b})`).call(d3.axisBottom(sx).ticks(5).tickSize(3));
    axisGroup(gAxes, "g.y").attr("class", "axis y")
      .attr("transform", `translate(${M.l},0)`).call(d3.axisLeft(sy).ticks(5).tickSize(3));
    drawPoints(gPts, state, {
      sx, sy, xOf: (p) => p.x[fx], yOf: (p) => (dims === 1 ? p.y[0] : p.x[fy]), radius: size.w > 280 ? 3.4 : 3,
      onClick: dims > 2 ? undefined : (event, p) => { event.stopPropagation(); actions.removePoint(p.split, p.index); },
    });
    pointLegend(legendBox, session.dataset.kind, dims);
  }


  /** One feature's range over train and test points, padded. */
  function featureExtent(d, i) {
    const [lo, hi] = d3.extent([...d.x, ...(d.test_x ?? [])], (r) => r[i]);
    return lo === undefined ? [-1, 1] : padExtent([lo, hi]);
  }

  function padExtent([lo, hi]) {
    const pad = (hi - lo || 1) * 0.08;
    return [lo - pad, hi + pad];
  }

  // --- controls ---------------------------------------------------------------------------------
  function renderControls() {
    const { catalog, spec, session } = store.state;
    if (!catalog || !spec) return;
    const builtin = isBuiltinDataset(catalog, spec.dataset);
    const entry = datasetEntry(catalog, spec.dataset);
    const items = (catalog.datasets ?? []).map((ds) => ({
      value: ds.name, label: t(`dataset.${ds.name}.label`, ds.title ?? ds.label ?? ds.name),
      group: ds.kind === "regression" ? t("data.groupRegression", "Regression ({dims}-D)", { dims: ds.input_dim }) : t("data.groupClassification", "Classification"),
    }));
    const name = spec.dataset?.name;
    const shownName = name?.endsWith(" (edited)") ? t("data.editedName", "{name} (edited)", { name: t(`dataset.${name.slice(0, -9)}.label`, name.slice(0, -9)) }) : name;
    if (!entry) items.unshift({ value: "", label: shownName ?? t("data.custom", "custom data"), disabled: true });
    setOptions(picker, items);
    picker.value = entry ? entry.name : "";
    const src = builtin ? spec.dataset : spec.dataset?.source ?? {};
    const edited = !builtin && !!spec.dataset?.source;
    const nGiven = session?.dataset?.x?.length ?? 0;
    const nTest = session?.dataset?.test_x?.length ?? 0;
    description.textContent = entry
      ? `${datasetDescription(entry)}${edited ? t("data.edited", " Edited: points were added (changing a parameter regenerates it).") : ""}`
      : `${nGiven === 1 ? t("data.givenPoint", "1 given point") : t("data.givenPoints", "{n} given points", { n: nGiven })}${nTest ? t("data.plusTest", " + {n} test", { n: nTest }) : ""}${t("data.pickToReplace", "; pick a dataset to replace them.")}`;
    const maxSamples = Math.min(paramRange(entry, "n_samples", { max: 2000 }).max, catalog.limits?.max_samples ?? Infinity);
    const configure = (s, range, value, step) => {
      s.input.min = String(range.min);
      s.input.max = String(range.max);
      s.input.step = String(step);
      s.input.disabled = !entry;
      if (value !== undefined && value !== null) {
        syncValue(s.input, value);
        s.out.textContent = s.fmtValue(Number(value));
      } else {
        s.out.textContent = "";
      }
    };
    // a value the request leaves out is the one the session used (its built-in's parameters)
    const used = session?.dataset?.source ?? {};
    configure(noise, paramRange(entry, "noise", { min: 0, max: 1 }), src.noise ?? used.noise ?? 0, 0.05);
    configure(samples, { ...paramRange(entry, "n_samples", { min: 10, max: maxSamples }), min: 10, max: maxSamples }, src.n_samples ?? used.n_samples ?? session?.dataset?.x?.length, 10);
    configure(testFraction, paramRange(entry, "test_fraction", { min: 0, max: 0.9 }), src.test_fraction ?? used.test_fraction ?? 0, 0.05);
    seedOut.textContent = entry ? String(src.seed ?? used.seed ?? 0) : "–";
    regenerate.disabled = !entry;
    const d = session?.dataset;
    hint.textContent = !d ? "" : d.input_dim > 2 ? t("own.hintPlane", "{d} inputs: both plots show the two features chosen above (the output with the others held at their mean); points cannot be drawn.", { d: d.input_dim })
      : d.input_dim === 1 ? t("data.hint1d", "Click the plot to add a point (x, y).")
      : d.kind === "classification" ? t("own.hintClassification", "Click: add a point of the chosen class · Shift-click: the other class · click a point: remove it. Hollow points are test data.")
      : t("own.hintRegression", "Click: add a point with the chosen target · Shift-click: −1 · click a point: remove it.");
  }

  // during Play the session changes every frame; the controls show its data and the spec
  const controlsChanged = changes();
  store.on(["catalog", "spec", "session"], () => {
    const { catalog, spec, session } = store.state;
    if (controlsChanged(catalog, spec, session?.dataset, getLanguage())) renderControls();
    renderScatter();
  });
  store.on(["sample", "boundary", "plane"], renderScatter);
  onLanguageChange(() => {
    renderControls();
    drawn = {}; // the point legend's words
    renderScatter();
  });
}
