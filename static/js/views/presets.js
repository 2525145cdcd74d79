// The header's preset menu: catalog.presets, each creating its `request`.

import { setOptions } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";

/** A preset's title and description in the current language (the catalog has the English). */
const presetTitle = (p) => t(`preset.${p.id}.title`, p.title ?? p.id);
const presetDescription = (p) => t(`preset.${p.id}.description`, p.description ?? "");

export function mountPresets(store, actions, select) {
  select.addEventListener("change", () => {
    const preset = (store.state.catalog?.presets ?? []).find((p) => p.id === select.value);
    if (preset) actions.loadPreset(preset);
  });
  function render() {
    const catalog = store.state.catalog;
    if (!catalog) return;
    setOptions(select, [
      { value: "", label: t("preset.choose", "Choose a preset…") },
      ...(catalog.presets ?? []).map((p) => ({ value: p.id, label: presetTitle(p) })),
    ]);
    const titles = (catalog.presets ?? []).map((p) => `${presetTitle(p)}: ${presetDescription(p)}`);
    select.title = titles.join("\n");
  }
  store.on("catalog", render);
  onLanguageChange(render);
  // after a builder change the page no longer shows the preset as it was
  store.on("spec", (spec) => {
    const match = (store.state.catalog?.presets ?? []).find((p) => JSON.stringify(p.request) === JSON.stringify(spec));
    select.value = match ? match.id : "";
  });
}
