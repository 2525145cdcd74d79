// The chosen preset's two-sentence explanation, above the network (#preset-note),
// with a button that opens the panel that shows what the preset is about.

import { t, onLanguageChange } from "../../i18n.js";
import { el } from "../../dom.js";

/** What to open for a preset: a tab, and perhaps a selection. */
const FOCUS = {
  "worked-example": { tab: "inspector", selection: { kind: "edge", layer: 1, row: 0, column: 0 } },
  xor: { tab: "equations", selection: { kind: "node", layer: 1, index: 0 } },
  spiral: { tab: "replay" },
  vanishing: { tab: "flow" },
  "dead-relu": { tab: "flow" },
  "zero-init": { tab: "equations", selection: { kind: "node", layer: 1, index: 0 } },
  diverging: { tab: "flow" },
};

export function mountPresetNote(ctx, box) {
  const { store, actions } = ctx;
  let dismissed = null; // the spec whose note was closed

  function presetOf(state) {
    const spec = JSON.stringify(state.spec);
    return (state.catalog?.presets ?? []).find((p) => JSON.stringify(p.request) === spec) ?? null;
  }

  function tabName(tab) {
    const names = {
      inspector: t("teach.tab.inspector", "Inspector"), equations: t("teach.tab.equations", "Layer"),
      flow: t("teach.tab.flow", "Flow"), paths: t("teach.tab.paths", "Paths"), replay: t("teach.tab.replay", "Replay"),
    };
    return names[tab] ?? tab;
  }

  function render() {
    const state = store.state;
    const preset = presetOf(state);
    if (!preset || dismissed === state.spec) {
      box.hidden = true;
      box.replaceChildren();
      delete box.dataset.preset;
      return;
    }
    box.hidden = false;
    box.dataset.preset = preset.id;
    const focus = FOCUS[preset.id];
    const show = focus ? el("button", {
      type: "button", class: "btn btn-small", "data-teach-action": "preset-focus",
      text: t("teach.preset.show", "Open {tab}", { tab: tabName(focus.tab) }),
      onclick: () => {
        if (focus.selection) actions.select(focus.selection);
        ctx.open(focus.tab);
      },
    }) : null;
    box.replaceChildren(
      el("div", { class: "preset-note-text" },
        el("strong", { "data-role": "preset-title", text: t(`teach.preset.${preset.id}.title`, preset.title ?? preset.id) }),
        el("span", { "data-role": "preset-description", text: t(`teach.preset.${preset.id}.description`, preset.description ?? "") })),
      show,
      el("button", { type: "button", class: "preset-note-close", "aria-label": t("teach.preset.close", "Hide the explanation"), text: "×",
        onclick: () => { dismissed = state.spec; render(); } }));
  }

  store.on(["spec", "catalog"], render);
  onLanguageChange(render);
  render();
}
