// The controls above each column of the network view: the layer's name and
// width, +/− neuron buttons and the activation menu (from the catalog).

import { byName } from "../spec.js";
import { getLanguage, t } from "../i18n.js";
import { changes } from "../frame.js";

/** Activation names short enough for a narrow column (the full name is the menu's title). */
const SHORT = { sigmoid: "sig", leaky_relu: "lrelu", softplus: "s+", softmax: "smax", linear: "lin", square: "z²" };

function limitsOf(catalog) {
  const lim = catalog?.limits ?? {};
  return { maxWidth: lim.max_width ?? lim.max_neurons ?? 64, maxLayers: lim.max_layers ?? 10 };
}

export function mountLayerHeads(store, actions, stage) {
  const box = d3.select(stage).append("div").attr("class", "layer-heads");

  function kindOf(l, L) {
    return l === 0 ? "input" : l === L ? "output" : "hidden";
  }

  function build(div) {
    div.append("div").attr("class", "lh-title");
    div.each(function (d) {
      const head = d3.select(this);
      if (d.kind === "hidden") {
        const row = head.append("div").attr("class", "lh-count");
        row.append("button").attr("type", "button").attr("class", "btn-tiny").text("−")
          .attr("data-builder", "remove-neuron").attr("data-layer", d.l)
          .on("click", (event, x) => actions.editNetwork((net) => { net.layers[x.l] = Math.max(1, net.layers[x.l] - 1); }));
        // the width as a field: type 32 instead of clicking + thirty times
        row.append("input").attr("type", "number").attr("class", "lh-width lh-n").attr("min", 1).attr("step", 1)
          .attr("inputmode", "numeric").attr("data-builder", "layer-width").attr("data-layer", d.l)
          .on("change", function (event, x) { setWidth(this, x); });
        row.append("button").attr("type", "button").attr("class", "btn-tiny").text("+")
          .attr("data-builder", "add-neuron").attr("data-layer", d.l)
          .on("click", (event, x) => actions.editNetwork((net) => { net.layers[x.l] += 1; }));
      }
      if (d.kind !== "input") {
        head.append("select").attr("data-builder", "activation").attr("data-layer", d.l)
          .on("change", function (event, x) {
            const value = this.value;
            actions.editNetwork((net) => { net.activations[x.l - 1] = value; });
          });
      }
    });
  }

  /** A typed width: out of range goes back to the width in force at once, with a plain message. */
  function setWidth(input, d) {
    const { maxWidth } = limitsOf(store.state.catalog);
    const v = Number(input.value);
    if (Number.isInteger(v) && v >= 1 && v <= maxWidth) {
      if (v !== d.n) actions.editNetwork((net) => { net.layers[d.l] = v; });
      return;
    }
    input.value = String(d.n);
    const field = t("refuse.field.layers", "A layer's width");
    const message = !Number.isInteger(v) ? t("refuse.whole", "{field} must be a whole number.", { field })
      : v < 1 ? t("refuse.atLeast", "{field} must be at least {limit}.", { field, limit: 1 })
        : t("refuse.atMost", "{field} can be at most {limit}.", { field, limit: maxWidth });
    store.emit("error", { title: t("net.head.hidden", "Hidden {l}", { l: d.l }), message });
  }

  const headsChanged = changes();

  /** Draw the heads for `layout` (redrawn only when the layout, layers' settings or language change). */
  function render(layout, state) {
    const { catalog, session } = state;
    const net = session.network;
    if (!headsChanged(layout, net.activations, net.loss, catalog, getLanguage())) return;
    const L = layout.layers.length - 1;
    const { maxWidth } = limitsOf(catalog);
    const data = layout.layers.map((n, l) => ({ l, n, x: layout.xs[l], kind: kindOf(l, L), key: `${l}:${kindOf(l, L)}` }));
    const heads = box.selectAll("div.layer-head").data(data, (d) => d.key)
      .join((enter) => enter.append("div").attr("class", "layer-head").call(build));
    const gap = layout.xs.length > 1 ? layout.xs[1] - layout.xs[0] : 200;
    // staggered rows (a deep network on a narrow screen): a head spans that many columns
    const rows = layout.headRows ?? 1;
    const width = Math.max(40, Math.min(118, rows * gap - 6));
    const compact = width < 76;
    heads.style("left", (d) => `${d.x}px`).style("width", `${width}px`).classed("is-compact", compact)
      .style("top", (d) => `${(d.l % rows) * layout.headRow}px`);
    /** @type {HTMLElement} */ (stage).style.setProperty("--head-rows", String(rows));
    heads.select(".lh-title").each(function (d) {
      const title = d3.select(this);
      const name = d.kind === "input" ? t("net.head.input", "Input") : d.kind === "output" ? t("net.head.output", "Output")
        : t("net.head.hidden", "Hidden {l}", { l: d.l });
      title.text(`${name} `).attr("title", `${name} (l=${d.l})`);
      title.append("span").attr("class", "lh-sub").text(d.kind === "hidden" ? `l=${d.l}` : `l=${d.l} · ${d.n}`);
      // a narrow column names its layer by l alone rather than cutting the name ("Hid…")
      const box = /** @type {HTMLElement} */ (this);
      if (box.scrollWidth > box.clientWidth + 1) title.text(`l=${d.l}`);
    });
    // labels are set on every render, so a language switch (which redraws the view) translates them
    heads.select('[data-builder="remove-neuron"]').attr("aria-label", (d) => t("net.removeNeuron", "Remove a neuron from layer {l}", { l: d.l }));
    heads.select('[data-builder="add-neuron"]').attr("aria-label", (d) => t("net.addNeuron", "Add a neuron to layer {l}", { l: d.l }));
    heads.select("select").attr("aria-label", (d) => t("net.activationOf", "Activation of layer {l}", { l: d.l }));
    heads.select(".lh-n").property("value", (d) => d.n).attr("max", maxWidth)
      .attr("aria-label", (d) => t("quick.widthOf", "Width of layer {l}", { l: d.l }));
    heads.select('[data-builder="remove-neuron"]').property("disabled", (d) => d.n <= 1);
    heads.select('[data-builder="add-neuron"]').property("disabled", (d) => d.n >= maxWidth);
    heads.select("select").each(function (d) {
      const loss = byName(catalog.losses, net.loss);
      const allowed = d.kind === "output" && loss?.output_activations ? loss.output_activations : null;
      const names = (catalog.activations ?? []).map((a) => a.name ?? a)
        .filter((n) => !allowed || allowed.includes(n));
      const sel = d3.select(this);
      sel.selectAll("option").data(names, (n) => n).join("option").attr("value", (n) => n)
        .text((n) => (compact ? SHORT[n] ?? n : n));
      sel.attr("title", net.activations[d.l - 1]);
      /** @type {HTMLSelectElement} */ (this).value = net.activations[d.l - 1];
    });
  }

  return { render };
}
