// Gradient flow: per layer ‖δ^l‖ and ‖∂C/∂W^l‖ over the training steps on a log
// scale, so vanishing and exploding gradients show as lines far apart. The numbers
// are the per-step metrics records the API returns with every step (the same
// records GET /metrics answers), kept in store.history.

import { t } from "../../i18n.js";
import { el } from "../../dom.js";
import { rampColor } from "../../colors.js";
import { exact, sup, textNum } from "./math.js";
import { noteEl } from "./common.js";
import { createLineChart } from "./chart.js";

const MAX_POINTS = 400;

/** Layer l of L: the purple half of the page's diverging ramp, darker towards the output. */
function layerColor(l, L) {
  return rampColor(L <= 1 ? 1 : 0.7 + (0.3 * (l - 1)) / (L - 1));
}

export function mountFlow(ctx, body) {
  const { store } = ctx;
  const root = el("div", { class: "teach-flow", "data-teach": "flow" });
  const deltaTitle = el("h3", { class: "teach-h" });
  const gradTitle = el("h3", { class: "teach-h" });
  const deltaBox = el("div", { class: "teach-chart-box", "data-chart": "delta-norms" });
  const gradBox = el("div", { class: "teach-chart-box", "data-chart": "grad-norms" });
  const table = el("div");
  const note = el("p", { class: "hint" });
  body.append(root);
  root.append(deltaTitle, deltaBox, gradTitle, gradBox, table, note);
  const deltaChart = createLineChart(deltaBox, { height: 140, logY: true, margin: { r: 34 } });
  const gradChart = createLineChart(gradBox, { height: 140, logY: true, margin: { r: 34 } });
  function series(h, key, L) {
    const n = h.step.length;
    const stride = Math.max(1, Math.ceil(n / MAX_POINTS));
    return Array.from({ length: L }, (_, i) => {
      const pts = [];
      for (let s = 0; s < n; s += stride) pts.push([h.step[s], h[key][s]?.[i]]);
      if (n && (n - 1) % stride) pts.push([h.step[n - 1], h[key][n - 1]?.[i]]);
      return { id: `l${i + 1}`, label: `l=${i + 1}`, color: layerColor(i + 1, L), points: pts };
    });
  }

  function dot(color) {
    const d = el("span", { class: "teach-dot" });
    d.style.background = color;
    return d;
  }

  function render() {
    const state = store.state;
    if (!state.session) return;
    const L = state.session.network.layers.length - 1;
    const h = state.history;
    deltaTitle.textContent = t("teach.flow.delta", "‖δˡ‖ per layer (minibatch, over √B)");
    gradTitle.textContent = t("teach.flow.grad", "‖∂C/∂Wˡ‖ per layer");
    const has = h.step.length && h.delta_norms?.length === h.step.length;
    const empty = t("teach.flow.empty", "Press Step or Play: the norms are recorded at every step.");
    deltaChart.update({ series: has ? series(h, "delta_norms", L) : [], emptyText: empty });
    gradChart.update({ series: has ? series(h, "grad_norms", L) : [], emptyText: empty });
    if (!has) {
      table.replaceChildren(noteEl(empty));
      note.textContent = "";
      return;
    }
    const i = h.step.length - 1;
    const dn = h.delta_norms[i];
    const gn = h.grad_norms[i];
    root.dataset.step = String(h.step[i]);
    const rows = dn.map((d, l) => el("tr", { "data-layer": l + 1, "data-delta-norm": exact(d), "data-grad-norm": exact(gn[l]) },
      el("td", {}, dot(layerColor(l + 1, L)), document.createTextNode(String(l + 1))),
      el("td", { class: "num", text: textNum(d, 3) }),
      el("td", { class: "num", text: textNum(gn[l], 3) })));
    table.replaceChildren(el("table", { class: "teach-table" },
      el("thead", {}, el("tr", {},
        el("th", { text: "l" }),
        el("th", { text: t("teach.flow.deltaCol", "‖δˡ‖ at step {s}", { s: h.step[i] }) }),
        el("th", { text: t("teach.flow.gradCol", "‖∂C/∂Wˡ‖") }))),
      el("tbody", {}, ...rows)));
    const ratio = dn[0] / dn[L - 1];
    root.dataset.ratio = exact(ratio);
    const kind = ratio < 0.01 ? t("teach.flow.vanishing", "vanishing: the first layers barely learn")
      : ratio > 100 ? t("teach.flow.exploding", "exploding: the first layers get huge steps")
      : t("teach.flow.healthy", "within two orders of magnitude");
    note.textContent = L > 1
      ? t("teach.flow.ratio", "‖δ¹‖ / ‖δ{L}‖ = {r} at step {s}: {kind}. Each layer down multiplies δ by a transposed weight matrix and by σ′(z).", { L: sup(L), r: textNum(ratio, 3), s: h.step[i], kind })
      : "";
  }

  return { keys: ["history", "session"], render };
}
