// Accessibility of the network view: every neuron (and every weight of small networks)
// is focusable with Tab, selected with Enter or Space, and carries its numbers as text
// in aria-label ("Hidden neuron 1 of layer 1: a = 0.53, δ = −0.012"). The labels follow
// the data-a / data-delta / data-w attributes the view sets on every redraw.

import { fmt, weightName } from "../format.js";
import { onLanguageChange, t } from "../i18n.js";

const MAX_FOCUSABLE_EDGES = 40; // beyond this, Tab through the neurons only

export function mountNetworkAccess(store, actions, stage) {
  const num = (v) => (v === null || v === "" || v === undefined ? null : fmt(Number(v), { digits: 4 }));

  function nodeLabel(node) {
    const [l, j] = node.dataset.node.split(":").map(Number);
    const net = store.state.session?.network;
    if (!net) return "";
    const L = net.layers.length - 1;
    const params = { j, l, act: net.activations[l - 1] };
    const name = l === 0 ? t("a11y.input", "Input neuron {j}", params)
      : l === L ? t("a11y.output", "Output neuron {j} of layer {l} (σ = {act})", params)
      : t("a11y.hidden", "Hidden neuron {j} of layer {l} (σ = {act})", params);
    const values = [];
    const a = num(node.getAttribute("data-a"));
    const d = num(node.getAttribute("data-delta"));
    if (a !== null) values.push(`a = ${a}`);
    if (d !== null) values.push(`δ = ${d}`);
    return values.length ? `${name}: ${values.join(", ")}` : name;
  }

  function edgeLabel(edge) {
    const [l, j, k] = edge.dataset.edge.split(":").map(Number);
    const values = [`${weightName(l, j, k)} = ${num(edge.getAttribute("data-w")) ?? "–"}`];
    const g = num(edge.getAttribute("data-grad"));
    if (g !== null) values.push(`∂C/∂w = ${g}`);
    return `${values.join(", ")} (${t("tip.edge", "neuron {k} of layer {from} → neuron {j} of layer {l}", { k, from: l - 1, j, l })})`;
  }

  function selected(node) {
    const s = store.state.selection;
    if (!s) return false;
    if (node.dataset.node) {
      const [l, j] = node.dataset.node.split(":").map(Number);
      return s.kind === "node" && s.layer === l && s.index === j;
    }
    const [l, j, k] = node.dataset.edge.split(":").map(Number);
    return s.kind === "edge" && s.layer === l && s.row === j && s.column === k;
  }

  function label(node) {
    if (!node.hasAttribute("tabindex")) {
      node.setAttribute("tabindex", "0");
      node.setAttribute("role", "button");
    }
    const text = node.dataset.node ? nodeLabel(node) : edgeLabel(node);
    if (node.getAttribute("aria-label") !== text) node.setAttribute("aria-label", text);
    const pressed = String(selected(node));
    if (node.getAttribute("aria-pressed") !== pressed) node.setAttribute("aria-pressed", pressed);
  }

  function labelAll() {
    for (const node of stage.querySelectorAll("[data-node]")) label(node);
    const edges = stage.querySelectorAll("[data-edge]");
    const focusable = edges.length <= MAX_FOCUSABLE_EDGES;
    for (const edge of edges) {
      if (focusable) label(edge);
      else if (edge.hasAttribute("tabindex")) {
        for (const a of ["tabindex", "role", "aria-label", "aria-pressed"]) edge.removeAttribute(a);
      }
    }
  }

  // The view sets data-a, data-delta, data-w, data-grad when they change (every frame for
  // the weights during Play), and adds and removes elements: relabel only what changed.
  const isItem = (n) => n instanceof Element && (n.hasAttribute("data-node") || n.hasAttribute("data-edge"));
  new MutationObserver((records) => {
    const changed = new Set();
    for (const r of records) {
      if (r.type === "childList") {
        if ([...r.addedNodes].some(isItem) || [...r.removedNodes].some(isItem)) {
          labelAll();
          return;
        }
      } else if (isItem(r.target)) {
        changed.add(r.target);
      }
    }
    if (!changed.size) return;
    const edgesFocusable = stage.querySelectorAll("[data-edge]").length <= MAX_FOCUSABLE_EDGES;
    for (const node of changed) if (node.hasAttribute("data-node") || edgesFocusable) label(node);
  }).observe(stage, { subtree: true, childList: true, attributes: true, attributeFilter: ["data-a", "data-delta", "data-w", "data-grad", "class"] });

  store.on("selection", labelAll);
  onLanguageChange(labelAll);

  // Enter / Space selects the focused neuron or weight, as a click does
  stage.addEventListener("keydown", (event) => {
    const node = event.target instanceof Element ? event.target.closest("[data-node], [data-edge]") : null;
    if (!node || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    const same = selected(node);
    if (node.dataset.node) {
      const [l, j] = node.dataset.node.split(":").map(Number);
      actions.select(same ? null : { kind: "node", layer: l, index: j });
    } else {
      const [l, j, k] = node.dataset.edge.split(":").map(Number);
      actions.select(same ? null : { kind: "edge", layer: l, row: j, column: k });
    }
  });
}
