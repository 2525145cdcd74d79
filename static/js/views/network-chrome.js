// Around the network drawing: the toolbar (hidden layers, what edges show, the
// selected sample) and the footer (legends, neuron maps switch, gradient source).

import { el } from "../dom.js";
import { legend } from "../colors.js";
import { fmt, target, vec } from "../format.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { changes, schedule } from "../frame.js";

const short = (v) => fmt(Number(v.toPrecision(2)));
import { edgeMax, deltaMax, isBackwardFresh, neuronLegend } from "./network-values.js";

const EDGE_MODES = [
  { mode: "weight", label: "weights w", legend: "edge w" },
  { mode: "grad", label: "gradient ∂C/∂W", legend: "edge ∂C/∂w" },
  { mode: "update", label: "last update ΔW", legend: "edge Δw" },
];
const modeLegend = (m) => t(`net.legend.${m.mode}`, m.legend);
/** "train" / "test" in the current language. */
const splitName = (split) => t(`split.${split}`, split);

export function mountNetworkChrome(store, actions, { toolbar, footer, network }) {
  // --- toolbar -------------------------------------------------------------------------------
  const layerCount = el("span", { class: "field-value", "data-metric": "hidden-layers" });
  const removeLayer = el("button", {
    type: "button", class: "btn-tiny", text: "−", "data-builder": "remove-layer", "i18n-aria-label": ["net.removeLayer", "Remove the last hidden layer"],
    onclick: () => actions.editNetwork((net) => {
      const L = net.activations.length;
      if (L <= 1) return;
      net.layers.splice(L - 1, 1);
      net.activations.splice(L - 2, 1);
    }),
  });
  const addLayer = el("button", {
    type: "button", class: "btn-tiny", text: "+", "data-builder": "add-layer", "i18n-aria-label": ["net.addLayer", "Add a hidden layer"],
    onclick: () => actions.editNetwork((net) => {
      const L = net.activations.length;
      const width = L > 1 ? net.layers[L - 1] : Math.min(4, store.state.catalog?.limits?.max_width ?? 4);
      const act = L > 1 ? net.activations[L - 2] : (store.state.catalog.defaults?.network?.activations?.[0] ?? net.activations[L - 1]);
      net.layers.splice(L, 0, width);
      net.activations.splice(L - 1, 0, act);
    }),
  });
  const modeButtons = EDGE_MODES.map((m) => el("button", {
    type: "button", i18n: [`net.mode.${m.mode}`, m.label], "data-edge-mode": m.mode, "aria-pressed": "false",
    onclick: () => actions.setEdgeMode(m.mode),
  }));
  const prev = el("button", { type: "button", class: "btn-tiny", text: "‹", "i18n-aria-label": ["net.prevSample", "Previous sample"], "data-sample": "prev", onclick: () => moveSample(-1) });
  const next = el("button", { type: "button", class: "btn-tiny", text: "›", "i18n-aria-label": ["net.nextSample", "Next sample"], "data-sample": "next", onclick: () => moveSample(1) });
  const sampleText = el("span", { "data-role": "sample" });
  toolbar.append(
    el("span", { class: "field-row" }, el("span", { class: "tool-label", i18n: ["net.hiddenLayers", "Hidden layers"] }), removeLayer, layerCount, addLayer),
    el("span", { class: "field-row" }, el("span", { class: "tool-label", i18n: ["net.edgesShow", "Edges show"] }), el("span", { class: "segmented" }, ...modeButtons)),
    el("span", { class: "sample-caption" }, el("span", { class: "tool-label", i18n: ["net.sample", "Sample"] }), prev, sampleText, next),
  );

  function moveSample(delta) {
    const { session, sample } = store.state;
    const n = (sample.split === "test" ? session.dataset.test_x : session.dataset.x).length;
    if (!n) return;
    actions.selectSample({ split: sample.split, index: (sample.index + delta + n) % n });
  }

  // --- footer --------------------------------------------------------------------------------
  const legendA = el("div");
  const legendNote = el("span", { class: "hint legend-note" });
  const legendE = el("div");
  const legendD = el("div");
  const mapsToggle = el("input", { type: "checkbox", checked: true, "data-control": "neuron-maps", onchange: (e) => network.setMaps(e.target.checked) });
  const gradNote = el("span", { class: "hint", "data-role": "gradient-source" });
  footer.append(el("span", { class: "field-row" }, legendA, legendNote), legendE, legendD, el("label", { class: "chip" }, mapsToggle, el("span", { i18n: ["net.neuronMaps", "neuron maps"] })), gradNote);

  // Drawn once per display frame, and each part only when what it shows has changed:
  // during Play the session changes every frame, the toolbar and sample caption rarely.
  const toolbarChanged = changes();
  const sampleChanged = changes();
  const legendsChanged = changes();

  function render() {
    const state = store.state;
    const { session, sample, edgeMode } = state;
    if (!session) return;
    const lang = getLanguage();
    const L = session.network.layers.length - 1;
    const maxLayers = state.catalog?.limits?.max_layers ?? 10;
    if (toolbarChanged(L, maxLayers, edgeMode)) {
      layerCount.textContent = String(L - 1);
      removeLayer.disabled = L <= 1;
      addLayer.disabled = L >= maxLayers;
      for (const b of modeButtons) b.setAttribute("aria-pressed", String(b.dataset.edgeMode === edgeMode));
    }

    const d = session.dataset;
    if (sampleChanged(d, sample, lang)) {
      const rows = sample.split === "test" ? d.test_x : d.x;
      const ys = sample.split === "test" ? d.test_y : d.y;
      sampleText.replaceChildren(
        el("strong", { text: `${splitName(sample.split)} #${sample.index}` }),
        document.createTextNode(rows?.[sample.index] ? ` x = ${vec(rows[sample.index])}, y: ${target(ys[sample.index], d.kind)}` : ""),
      );
    }

    const nl = neuronLegend(state);
    const mode = EDGE_MODES.find((m) => m.mode === edgeMode);
    const eMax = edgeMax(state, edgeMode);
    const edgeTicks = eMax ? [`−${short(eMax)}`, "0", `+${short(eMax)}`] : ["–", "0", "–"];
    const fresh = isBackwardFresh(state);
    const dm = fresh ? deltaMax(state) : null;
    if (legendsChanged(String(nl.ticks), nl.note, edgeMode, String(edgeTicks), dm, lang, String(state.session?.network?.activations))) {
      legend(legendA, { ...nl, title: t("net.legend.neuron", nl.title), width: 110 });
      legendA.title = nl.note ? t("net.legendNote", "Colour spans σ's range; {note}", { note: nl.note }) : "";
      const relu = (state.session?.network?.activations ?? []).includes("relu");
      legendNote.textContent = [nl.note ? `(${nl.note})` : "",
        relu ? t("net.legend.off", "dark: a = 0, ReLU off · dashed red ring: dead (a = 0 on every training sample)") : ""].filter(Boolean).join(" ");
      legend(legendE, { title: modeLegend(mode), ticks: edgeTicks, width: 110 });
      // δ's legend keeps its place while hidden: the footer would otherwise wrap when a
      // backward pass arrives and shrink the drawing under the pointer
      legend(legendD, { title: t("net.legend.delta", "ring δ"), ticks: dm ? [`−${short(dm)}`, "0", `+${short(dm)}`] : ["–", "0", "–"], width: 110 });
      legendD.style.visibility = fresh ? "" : "hidden";
      legendD.setAttribute("aria-hidden", String(!fresh));
    }
    const g = state.gradient;
    let note = "";
    if (edgeMode === "grad") {
      note = !g ? t("net.note.noGrad", "press Backward or Step to compute ∂C/∂W")
        : g.source === "sample" ? t("net.note.sampleGrad", "∂C/∂W of {split} sample #{index} (C = C_b)", { split: splitName(g.sample.split), index: g.sample.index })
        : t("net.note.batchGrad", "∂C/∂W of the minibatch that made step {step}", { step: g.step + 1 });
    } else if (edgeMode === "update") {
      const u = state.update;
      note = !u ? t("net.note.noUpdate", "press Step to see an update")
        : u.steps > 1 ? t("net.note.updates", "ΔW over the last {n} steps (to step {step})", { n: u.steps, step: u.step })
        : t("net.note.update", "ΔW of step {step}", { step: u.step });
    }
    if (gradNote.textContent !== note) gradNote.textContent = note;
  }

  const request = () => schedule("network-chrome", render);
  store.on(["session", "sample", "edgeMode", "gradient", "update", "backward", "catalog", "boundary"], request);
  onLanguageChange(request);
}
