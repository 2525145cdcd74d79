// The side panel: what is selected in the network view, with its numbers.
// (The teaching panels — inspector, equations, gradient check — grow here.)

import { el } from "../dom.js";
import { activationOf, fmt, weightName } from "../format.js";
import { edgeValue, isBackwardFresh, nodeValues } from "./network-values.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { changes } from "../frame.js";

export function mountSidePanel(store, root) {
  function kv(rows) {
    return el("dl", { class: "kv" }, ...rows.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  }

  // nothing selected: the hint is drawn once, not on every frame of Play
  const inputsChanged = changes();

  function render() {
    const state = store.state;
    const { selection: s, session } = state;
    const deps = s && session ? [s, session, state.forward, state.backward, state.gradient, state.update] : [];
    if (!inputsChanged(!!(s && session), ...deps, getLanguage())) return;
    root.dataset.selection = s ? JSON.stringify(s) : "";
    if (!s || !session) {
      root.replaceChildren(el("p", { class: "side-empty", text: t("side.empty", "Click a neuron or an edge in the network to see its numbers.") }));
      return;
    }
    const net = session.network;
    if (s.kind === "node") {
      const v = nodeValues(state, { forward: state.forward, showDelta: () => isBackwardFresh(state) });
      const rows = [];
      if (s.layer > 0) rows.push(["z", fmt(v.z(s.layer, s.index), { digits: 4 })]);
      rows.push([s.layer > 0 ? `a = ${activationOf(net.activations[s.layer - 1])}` : "a⁰ = x", fmt(v.a(s.layer, s.index), { digits: 4 })]);
      if (v.delta(s.layer, s.index) !== null) rows.push(["δ = ∂C/∂z", fmt(v.delta(s.layer, s.index), { digits: 4 })]);
      if (s.layer > 0 && net.biases) rows.push(["b", fmt(net.biases[s.layer - 1][s.index], { digits: 4 })]);
      const title = s.layer === 0 ? t("side.inputNeuron", "Input neuron {j}", { j: s.index })
        : t("side.neuron", "Neuron {j} of layer {l} · {act}", { j: s.index, l: s.layer, act: net.activations[s.layer - 1] });
      root.replaceChildren(el("p", { class: "side-title", text: title }), kv(rows));
    } else {
      const d = { l: s.layer, j: s.row, k: s.column };
      const rows = [["w", fmt(edgeValue(state, "weight", d), { digits: 4 })]];
      const g = edgeValue(state, "grad", d);
      if (g !== null) rows.push(["∂C/∂w", fmt(g, { digits: 4 })]);
      const u = edgeValue(state, "update", d);
      if (u !== null) rows.push(["Δw", fmt(u, { digits: 4 })]);
      root.replaceChildren(el("p", { class: "side-title", text: weightName(s.layer, s.row, s.column) }),
        el("p", { class: "hint", text: t("side.edgeFromTo", "from neuron {k} of layer {from} to neuron {j} of layer {l}", { k: s.column, from: s.layer - 1, j: s.row, l: s.layer }) }), kv(rows));
    }
  }

  store.on(["selection", "session", "forward", "backward", "gradient", "update"], render);
  onLanguageChange(render);
  render();
}
