// The builder panel: loss, initialiser, seed, bias and input features. Layers,
// widths and activations are edited right on the drawing (layer-heads.js).
// Every change creates a new session with the same data and training settings.

import { el, field, setOptions, syncValue, tex } from "../dom.js";
import { byName, featureFits, inputDim } from "../spec.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { changes } from "../frame.js";

const names = (list) => (list ?? []).map((e) => (typeof e === "string" ? e : e.name));

export function mountBuilder(store, actions, root) {
  const loss = el("select", { "data-builder": "loss", "i18n-aria-label": ["builder.loss", "Loss"] });
  const lossFormula = el("div", { class: "formula" });
  const init = el("select", { "data-builder": "init", "i18n-aria-label": ["builder.init", "Initialiser"] });
  const seed = el("input", { type: "number", min: "0", step: "1", "data-builder": "seed", "i18n-aria-label": ["builder.seedAria", "Initialisation seed"] });
  const reseed = el("button", { type: "button", class: "btn btn-small", i18n: ["builder.newSeed", "new"], "i18n-title": ["builder.newSeedTitle", "A new random seed"] });
  const bias = el("input", { type: "checkbox", "data-builder": "bias", "i18n-aria-label": ["builder.bias", "Bias"] });
  const features = el("div", { class: "chips", "data-builder": "features" });

  root.append(
    field(["builder.loss", "Loss"], loss), lossFormula,
    field(["builder.init", "Initialiser"], init),
    field(["builder.seed", "Seed"], seed, reseed),
    el("label", { class: "field" }, el("span", { class: "field-label", i18n: ["builder.bias", "Bias"] }),
      el("span", { class: "field-row" }, bias, el("span", { class: "hint", i18n: ["builder.biasHint", "b in z = W a + b"] }))),
    el("div", { class: "field field-top" }, el("span", { class: "field-label", i18n: ["builder.inputs", "Inputs"] }), features),
  );

  loss.addEventListener("change", () => {
    const value = loss.value;
    const entry = byName(store.state.catalog.losses, value);
    const kind = store.state.session?.dataset?.kind;
    actions.editNetwork((net) => {
      net.loss = value;
      const allowed = entry?.output_activations;
      const L = net.activations.length;
      if (allowed && !allowed.includes(net.activations[L - 1])) net.activations[L - 1] = allowed[0];
      // cross-entropy needs targets that sum to 1: for two classes, the softmax pair
      if (value === "cross_entropy" && kind === "classification" && allowed?.includes("softmax")) {
        net.activations[L - 1] = "softmax";
      }
    });
  });
  // read each control's value now: the edit runs after any queued request
  init.addEventListener("change", () => {
    const value = init.value;
    actions.editNetwork((net) => { net.init = value; });
  });
  seed.addEventListener("change", () => {
    const v = Math.max(0, Math.floor(Number(seed.value) || 0));
    actions.editNetwork((net) => { net.seed = v; });
  });
  reseed.addEventListener("click", () => {
    const v = Math.floor(Math.random() * 100000);
    actions.editNetwork((net) => { net.seed = v; });
  });
  bias.addEventListener("change", () => {
    const on = bias.checked;
    actions.editNetwork((net) => { net.bias = on; });
  });

  let built = false;
  function build(catalog) {
    setOptions(loss, names(catalog.losses).map((n) => ({ value: n, label: n })));
    setOptions(init, names(catalog.initializers).map((n) => ({ value: n, label: t(`builder.initName.${n}`, n) })));
    features.replaceChildren(...(catalog.features ?? []).map((f) => {
      const box = el("input", { type: "checkbox", value: f.name });
      box.addEventListener("change", () => toggleFeature(f.name, box.checked));
      return el("label", { class: "chip", "data-feature": f.name, title: f.name }, box, el("span", { text: f.label ?? f.name }));
    }));
    built = true;
  }

  function currentFeatures() {
    const { spec, session } = store.state;
    if (spec.network.features) return spec.network.features;
    const d = inputDim(store.state.catalog, spec.dataset, session);
    return d >= 2 ? ["x1", "x2"] : ["x1"];
  }

  function toggleFeature(name, on) {
    const now = currentFeatures();
    const next = on ? [...now, name] : now.filter((n) => n !== name);
    if (!next.length) {
      render();
      store.emit("error", { title: t("builder.inputs", "Inputs"), message: t("builder.needsInput", "The network needs at least one input feature.") });
      return;
    }
    // keep the catalog's order so the input neurons do not jump around
    const order = names(store.state.catalog.features);
    next.sort((a, b) => order.indexOf(a) - order.indexOf(b));
    actions.editNetwork((net) => {
      net.features = next;
      net.layers[0] = next.length;
    });
  }

  function render() {
    const { catalog, spec, session } = store.state;
    if (!catalog || !spec) return;
    if (!built) build(catalog);
    const net = spec.network;
    syncValue(loss, net.loss);
    tex(lossFormula, byName(catalog.losses, net.loss)?.formula);
    const explicit = !!net.weights;
    setOptions(init, [
      ...(explicit || !net.init ? [{ value: "", label: t("builder.givenWeights", "given weights"), disabled: true }] : []),
      ...names(catalog.initializers).map((n) => ({ value: n, label: t(`builder.initName.${n}`, n) })),
    ]);
    init.value = explicit || !net.init ? "" : net.init;
    syncValue(seed, net.seed ?? 0);
    init.title = explicit ? t("builder.givenWeightsTitle", "This network starts from given weights; choosing an initialiser replaces them.") : "";
    syncValue(bias, net.bias !== false);
    const d = inputDim(catalog, spec.dataset, session);
    const on = new Set(currentFeatures());
    for (const chip of features.children) {
      const f = byName(catalog.features, chip.dataset.feature);
      const fits = featureFits(f, d);
      const box = chip.querySelector("input");
      box.checked = on.has(f.name);
      box.disabled = !fits;
      chip.classList.toggle("is-on", box.checked);
      chip.classList.toggle("is-disabled", !fits);
      chip.title = fits ? (f.latex ? f.name : f.name) : t("builder.featureNeeds2d", "{name} needs a 2-D dataset", { name: f.name });
    }
  }

  // during Play the session changes every frame; the builder shows the spec and the data's dimension
  const inputsChanged = changes();
  store.on(["catalog", "spec", "session"], () => {
    const { catalog, spec, session } = store.state;
    if (inputsChanged(catalog, spec, session?.dataset, getLanguage())) render();
  });
  onLanguageChange(render);
}
