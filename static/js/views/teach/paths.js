// Paths vs dynamic programming: for one weight, ∂C/∂w summed over every path from
// it to the loss, against the δ recurrence that shares the paths' common suffixes
// (POST /paths for the selected sample): the path count, both costs in
// multiply-adds, both gradients (equal), the costs as depth grows (log scale), and
// the largest paths highlighted in the network view (store key highlightPaths).

import { t } from "../../i18n.js";
import { el } from "../../dom.js";
import { exact, renderTex, textNum } from "./math.js";
import { noteEl, sampleCaption } from "./common.js";
import { createLineChart } from "./chart.js";

const TOP = 3; // paths highlighted in the network view
const PATH_COLOR = "#b35806";   // the diverging scale's orange end: the exponential sum
const DP_COLOR = "#1f2a3a";     // slate, like the train loss line: the recurrence

export function mountPaths(ctx, body) {
  const { store, actions } = ctx;
  let result = null;
  let pending = null;
  let highlight = true;

  const root = el("div", { class: "teach-paths", "data-teach": "paths" });
  const chartTitle = el("h3", { class: "teach-h" });
  const chartNote = el("p", { class: "hint" });
  const chartBox = el("div", { class: "teach-chart-box" });
  const legend = el("div", { class: "chart-legend" });
  body.append(root, el("section", { class: "teach-section", "data-teach": "paths-chart" }, chartTitle, chartBox, legend, chartNote));
  const chart = createLineChart(chartBox, { height: 160, logY: true, integerX: true, margin: { r: 40 } });

  function weightOf(state) {
    const sel = state.selection;
    if (sel?.kind === "edge") return { layer: sel.layer, row: sel.row, column: sel.column, chosen: true };
    return { layer: 1, row: 0, column: 0, chosen: false };
  }

  const keyOf = (state, w) => `${w.layer}:${w.row}:${w.column}:${state.sample.split}:${state.sample.index}`;

  /** Why the API would refuse, checked here first: too many paths, or a softmax below the output. */
  function obstacle(state, w) {
    const net = state.session.network;
    const L = net.layers.length - 1;
    const count = net.layers.slice(w.layer + 1).reduce((a, n) => a * n, 1);
    const limit = state.catalog?.limits?.max_paths ?? Infinity;
    if (count > limit) return t("teach.paths.tooMany", "{count} paths lead from this weight to the loss, more than the limit of {limit}: choose a weight nearer the output.", { count: count.toLocaleString("en"), limit: limit.toLocaleString("en") });
    for (let l = w.layer; l < L; l++) {
      if (net.activations[l - 1] === "softmax") return t("teach.paths.softmax", "Paths need element-wise activations below the output; layer {l} uses softmax.", { l });
    }
    return null;
  }

  function request(state, w) {
    const key = keyOf(state, w);
    if (state.playing || (pending && pending.key === key && pending.session === state.session)) return;
    const mine = { key, session: state.session };
    pending = mine;
    actions.paths({ layer: w.layer, row: w.row, column: w.column, index: state.sample.index, split: state.sample.split })
      .then((r) => {
        if (pending === mine) pending = null;
        if (r) result = { ...r, key };
        if (ctx.isActive("paths")) render();
      });
  }

  function pathEdges(w, neurons) {
    // W^l[j][k], then W^{t+1}[i_{t+1}][i_t] along the path to the output
    const edges = [`${w.layer}:${neurons[0]}:${w.column}`];
    for (let i = 1; i < neurons.length; i++) edges.push(`${w.layer + i}:${neurons[i]}:${neurons[i - 1]}`);
    return edges;
  }

  function setHighlight(paths) {
    const next = paths && paths.length ? paths : null;
    const cur = store.state.highlightPaths;
    if (JSON.stringify(next) !== JSON.stringify(cur)) actions.highlightPaths(next);
  }

  function renderChart(r, state) {
    const hiddenNow = state.session.network.layers.length - 2;
    const rows = r.cost_by_depth;
    chartTitle.textContent = t("teach.paths.chartTitle", "Cost of one first-layer ∂C/∂w as depth grows");
    chart.update({
      xLabel: t("teach.paths.xLabel", "hidden layers"),
      series: [
        { id: "paths", label: t("teach.paths.sumShort", "paths"), color: PATH_COLOR, points: rows.map((d) => [d.hidden_layers, d.path_multiply_adds]) },
        { id: "dp", label: "δ", color: DP_COLOR, points: rows.map((d) => [d.hidden_layers, d.dp_multiply_adds]) },
      ],
      marker: hiddenNow,
    });
    chart.node.querySelector("svg").setAttribute("aria-label", chartTitle.textContent);
    const widths = state.session.network.layers;
    const hiddenWidth = Math.max(...(widths.length > 2 ? widths.slice(1, -1) : [widths[widths.length - 1]]));
    legend.replaceChildren(
      el("span", {}, el("span", { class: "swatch teach-swatch-paths" }), document.createTextNode(t("teach.paths.legendPaths", "sum over paths"))),
      el("span", {}, el("span", { class: "swatch teach-swatch-dp" }), document.createTextNode(t("teach.paths.legendDp", "δ recurrence"))),
      el("span", {}, el("span", { class: "swatch teach-swatch-marker" }), document.createTextNode(t("teach.paths.legendNow", "this network"))));
    chartNote.textContent = t("teach.paths.chartNote", "Multiply-adds (log scale) against the number of hidden layers, each {w} wide, from {n0} inputs to {nL} outputs: the paths multiply by {w} with every layer, the recurrence adds one matrix-vector product.", { w: hiddenWidth, n0: widths[0], nL: widths[widths.length - 1] });
  }

  function render() {
    const state = store.state;
    if (!state.session) return;
    const w = weightOf(state);
    const blocker = obstacle(state, w);
    if (blocker) {
      setHighlight(null);
      root.replaceChildren(sampleCaption(state), noteEl(blocker));
      return;
    }
    const fresh = result && result.session === state.session && result.key === keyOf(state, w);
    // another network or another weight: the old paths' glow goes at once
    if (!fresh && (result?.session.id !== state.session.id || result?.key !== keyOf(state, w))) setHighlight(null);
    if (!fresh) request(state, w);
    const r = fresh ? result.answer : null;
    const caption = [sampleCaption(state)];
    if (!w.chosen) caption.push(el("p", { class: "hint", text: t("teach.paths.pick", "Showing W¹₀₀; click an edge of the network to choose another weight.") }));
    if (!r) {
      root.replaceChildren(...caption, noteEl(state.playing ? t("teach.paths.playing", "Training is running: the paths are summed when it pauses.") : t("teach.paths.running", "Summing over every path…")));
      return;
    }
    Object.assign(root.dataset, {
      layer: String(r.layer), row: String(r.row), column: String(r.column), paths: String(r.paths),
      pathGradient: exact(r.path_gradient), dpGradient: exact(r.dp_gradient),
      pathMultiplyAdds: String(r.path_multiply_adds), dpMultiplyAdds: String(r.dp_multiply_adds),
    });
    const L = state.session.network.layers.length - 1;
    const formula = renderTex(el("div", { class: "teach-math", "data-line": "path-sum" }),
      `\\frac{\\partial C}{\\partial W^{${r.layer}}_{${r.row}${r.column}}} = a^{${r.layer - 1}}_{${r.column}} \\sum_{\\text{paths } ${r.row} \\to i_{${r.layer + 1}} \\to \\cdots \\to i_{${L}}} \\sigma'\\,W\\,\\sigma' \\cdots W\\,\\delta^{${L}}_{i_{${L}}}`, { display: true });
    const diff = Math.abs(r.path_gradient - r.dp_gradient);
    const facts = el("table", { class: "teach-table teach-compare" },
      el("thead", {}, el("tr", {}, el("th", { text: "" }),
        el("th", { text: t("teach.paths.sum", "sum over paths") }), el("th", { text: t("teach.paths.dp", "δ recurrence") }))),
      el("tbody", {},
        el("tr", {}, el("th", { text: t("teach.paths.count", "paths") }),
          el("td", { class: "num", "data-cell": "paths", text: r.paths.toLocaleString("en") }), el("td", { class: "num", text: "–" })),
        el("tr", {}, el("th", { text: t("teach.paths.cost", "multiply-adds") }),
          el("td", { class: "num", "data-cell": "path-multiply-adds", text: r.path_multiply_adds.toLocaleString("en") }),
          el("td", { class: "num", "data-cell": "dp-multiply-adds", text: r.dp_multiply_adds.toLocaleString("en") })),
        el("tr", {}, el("th", { text: "∂C/∂w" }),
          el("td", { class: "num", "data-cell": "path-gradient", text: textNum(r.path_gradient, 8) }),
          el("td", { class: "num", "data-cell": "dp-gradient", text: textNum(r.dp_gradient, 8) }))));
    const same = el("p", { class: `teach-verdict ${diff <= 1e-9 * Math.max(1e-12, Math.abs(r.dp_gradient)) || diff < 1e-15 ? "is-pass" : "is-fail"}`,
      text: t("teach.paths.equal", "Both give the same gradient (difference {d}); the recurrence reuses each path's shared tail instead of multiplying it again.", { d: textNum(diff, 2) }) });

    const top = (r.top_paths ?? []).slice(0, TOP);
    const box = el("input", { type: "checkbox", "data-teach-control": "highlight-paths" });
    box.checked = highlight;
    box.addEventListener("change", () => { highlight = box.checked; render(); });
    const maxC = Math.max(...top.map((p) => Math.abs(p.contribution)), 1e-300);
    const list = el("ol", { class: "teach-paths-list" }, ...top.map((p, i) => el("li", { "data-path-rank": i, "data-contribution": exact(p.contribution) },
      el("span", { class: `teach-path-key rank-${i}` }),
      el("span", { class: "mono", text: [`${r.layer - 1}:${r.column}`, ...p.neurons.map((n, q) => `${r.layer + q}:${n}`), "C"].join(" → ") }),
      el("span", { class: "num", text: `${textNum(p.contribution, 3)} (${Math.round((100 * Math.abs(p.contribution)) / maxC)}%)` }))));
    setHighlight(highlight ? top.map((p) => ({ edges: pathEdges(r, p.neurons), contribution: p.contribution })) : null);
    root.replaceChildren(...caption, formula, facts, same,
      el("section", { class: "teach-section" },
        el("h3", { class: "teach-h", text: t("teach.paths.top", "Largest paths (of {n})", { n: r.paths.toLocaleString("en") }) }),
        list,
        el("label", { class: "chip" }, box, el("span", { text: t("teach.paths.highlight", "highlight in the network") }))));
    renderChart(r, state);
  }

  return {
    keys: ["session", "sample", "selection", "playing", "catalog"],
    render,
    hide() { setHighlight(null); },
  };
}
