// What the network view's tooltips say about a neuron or an edge, from the store's state.

import { activationOf, fmt, weightName } from "../format.js";
import { nodeValues, edgeValue, isBackwardFresh, inputLabels, isDead } from "./network-values.js";
import { t } from "../i18n.js";

/**
 * @param {any} state
 * @param {{l: number, j: number}} d  a neuron of the layout
 */
export function nodeTip(state, d) {
  const net = state.session.network;
  const v = nodeValues(state, { forward: state.forward, showA: () => true, showDelta: () => isBackwardFresh(state) });
  const rows = [];
  if (d.l === 0) {
    const label = inputLabels(state)[d.j] ?? `x${d.j + 1}`;
    rows.push(["a⁰ = x", fmt(v.a(0, d.j), { digits: 4 })]);
    return { title: t("tip.input", "Input {label} (layer 0, neuron {j})", { label, j: d.j }), rows, note: t("tip.clickToSelect", "click to select") };
  }
  rows.push(["z", fmt(v.z(d.l, d.j), { digits: 4 })]);
  rows.push([`a = ${activationOf(net.activations[d.l - 1])}`, fmt(v.a(d.l, d.j), { digits: 4 })]);
  if (isDead(state, d.l, d.j)) rows.push([t("tip.dead", "dead"), t("tip.deadWhy", "a = 0 on every training sample")]);
  if (v.delta(d.l, d.j) !== null) rows.push(["δ = ∂C/∂z", fmt(v.delta(d.l, d.j), { digits: 4 })]);
  if (net.biases) rows.push(["b", fmt(net.biases[d.l - 1][d.j], { digits: 4 })]);
  const g = state.gradient?.biases?.[d.l - 1]?.[d.j];
  if (g !== undefined && g !== null) rows.push(["∂C/∂b", fmt(g, { digits: 4 })]);
  const L = net.layers.length - 1;
  const params = { j: d.j, l: d.l, act: net.activations[d.l - 1] };
  return {
    title: d.l === L ? t("tip.outputNeuron", "Output neuron {j} of layer {l} (σ = {act})", params)
      : t("tip.hiddenNeuron", "Hidden neuron {j} of layer {l} (σ = {act})", params),
    rows,
    note: state.forward ? t("tip.sample", "sample: {split} #{index}", { split: t(`split.${state.forward.sample.split}`, state.forward.sample.split), index: state.forward.sample.index }) : undefined,
  };
}

/**
 * @param {any} state
 * @param {{l: number, j: number, k: number}} d  an edge of the layout (W^l[j][k])
 */
export function edgeTip(state, d) {
  const rows = [["w", fmt(edgeValue(state, "weight", d), { digits: 4 })]];
  const g = edgeValue(state, "grad", d);
  if (g !== null) rows.push(["∂C/∂w", fmt(g, { digits: 4 })]);
  const u = edgeValue(state, "update", d);
  if (u !== null) rows.push([state.update?.steps > 1 ? t("tip.dwSteps", "Δw (last {n} steps)", { n: state.update.steps }) : t("tip.dwStep", "Δw (last step)"), fmt(u, { digits: 4 })]);
  const src = state.gradient;
  const note = src ? (src.source === "sample"
    ? t("tip.gradSample", "∂C/∂w of {split} sample #{index}", { split: t(`split.${src.sample.split}`, src.sample.split), index: src.sample.index })
    : t("tip.gradBatch", "∂C/∂w of the minibatch of step {step}", { step: src.step + 1 })) : undefined;
  const title = `${weightName(d.l, d.j, d.k)}: ${t("tip.edge", "neuron {k} of layer {from} → neuron {j} of layer {l}", { k: d.k, from: d.l - 1, j: d.j, l: d.l })}`;
  return { title, rows, note };
}
