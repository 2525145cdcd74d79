// Quick building: one activation for every hidden layer at once (the menus above each
// column still set one layer). "(mixed)" shows while the hidden layers differ.

import { el, field, setOptions } from "../dom.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { changes } from "../frame.js";

export function mountBuilderQuick(store, actions, root) {
  const menu = el("select", { "data-builder": "hidden-activation", "i18n-aria-label": ["quick.hiddenActivationAria", "Activation of every hidden layer"] });
  const row = field(["quick.hiddenActivation", "Hidden σ"], menu);
  root.append(row);

  menu.addEventListener("change", () => {
    const value = menu.value;
    if (!value) return;
    actions.editNetwork((net) => {
      for (let l = 0; l < net.activations.length - 1; l++) net.activations[l] = value;
    });
  });

  function render() {
    const { catalog, spec } = store.state;
    if (!catalog || !spec) return;
    const hidden = spec.network.activations.slice(0, -1);
    row.hidden = hidden.length === 0;
    const same = hidden.every((a) => a === hidden[0]);
    // softmax is an output layer's: it is not offered for every hidden layer at once
    const names = (catalog.activations ?? []).map((a) => a.name ?? a).filter((n) => n !== "softmax");
    setOptions(menu, [
      ...(same ? [] : [{ value: "", label: t("quick.mixed", "(mixed)"), disabled: true }]),
      ...names.map((n) => ({ value: n, label: t(`quick.activation.${n}`, n) })),
    ]);
    menu.value = same ? hidden[0] ?? "" : "";
  }

  const changed = changes();
  store.on(["catalog", "spec"], () => {
    const { catalog, spec } = store.state;
    if (changed(catalog, spec?.network?.activations, getLanguage())) render();
  });
  onLanguageChange(render);
}
