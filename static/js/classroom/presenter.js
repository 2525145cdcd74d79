// Presenter mode: large type and thick lines for a projector (readable from the back of
// a room at 1280×720), a chosen subset of panels, and controls hidden — a hide list like
// TensorFlow Playground's. Toggled from the header (or the p key) and kept in the URL:
// ?presenter=1&hide=builder,data,training.
//
// Known items are hidden by classroom.css from <body data-presenter-hide="…">; panels that
// other modules add to the columns (section.panel[id] — e.g. the teaching panels) are
// listed too, by their title, and hidden with the class .presenter-hidden.

import { el, i18nText } from "../dom.js";
import { onLanguageChange } from "../i18n.js";
import { popover, queryParams, setQueryParams } from "./util.js";

/** What presenter mode can hide: id (in the URL), label, and the elements. */
const PANELS = [
  { id: "builder", key: "presenter.item.builder", en: "Network settings", sel: "#panel-builder" },
  { id: "data", key: "presenter.item.data", en: "Data", sel: "#panel-data" },
  { id: "training", key: "presenter.item.training", en: "Training settings", sel: "#panel-training" },
  { id: "output", key: "presenter.item.output", en: "Output plot", sel: "#panel-output" },
  { id: "loss", key: "presenter.item.loss", en: "Loss chart", sel: "#panel-loss" },
  { id: "selection", key: "presenter.item.selection", en: "Selection", sel: "#panel-side" },
  { id: "preset-note", key: "presenter.item.presetNote", en: "Preset explanation", sel: "#preset-note" },
];
const CONTROLS = [
  { id: "run", key: "presenter.item.run", en: "Run buttons", sel: "#runbar .run-buttons" },
  { id: "speed", key: "presenter.item.speed", en: "Speed", sel: "#runbar .speed" },
  { id: "metrics", key: "presenter.item.metrics", en: "Step and loss", sel: "#metrics" },
  { id: "toolbar", key: "presenter.item.toolbar", en: "Network toolbar", sel: "#network-toolbar" },
  { id: "layer-controls", key: "presenter.item.layerControls", en: "Layer +/− and activation menus", sel: ".layer-heads .lh-count, .layer-heads select" },
  { id: "legend", key: "presenter.item.legend", en: "Colour legends", sel: "#network-footer" },
  { id: "presets", key: "presenter.item.presets", en: "Preset menu", sel: ".preset-picker" },
];
const KNOWN = new Set([...PANELS, ...CONTROLS].map((i) => i.id));
/** Hidden when presenter mode is turned on without a list: the settings, not the pictures. */
const DEFAULT_HIDE = ["builder", "data", "training", "speed", "toolbar", "layer-controls", "presets"];

/** Panels added by other modules: section.panel[id] in a column, not one of PANELS. */
function extraPanels() {
  const known = new Set(PANELS.map((p) => p.sel.slice(1)));
  return [...document.querySelectorAll(".layout .column > section.panel[id]")]
    .filter((node) => !known.has(node.id))
    .map((node) => ({
      id: node.id.replace(/^panel-/, ""), node,
      label: node.querySelector(".panel-title")?.textContent.trim() || node.id,
    }));
}

/**
 * @param {HTMLElement} container
 * @param {{onChange?: (on: boolean) => void}} [options]
 */
export function mountPresenter(container, { onChange } = {}) {
  const params = queryParams();
  let on = params.get("presenter") === "1";
  const hide = new Set(params.has("hide") ? params.get("hide").split(",").filter(Boolean) : DEFAULT_HIDE);

  const toggle = el("button", {
    type: "button", class: "cl-btn", "data-control": "presenter", "aria-pressed": String(on),
    "i18n-title": ["presenter.title", "Presenter mode: large type for a projector, chosen panels only (key p)"],
  }, el("span", { class: "cl-icon", "aria-hidden": "true", text: "▣" }), el("span", { i18n: ["presenter.button", "Presenter"] }));
  const chooser = el("button", {
    type: "button", class: "cl-btn cl-btn-icon", "data-control": "presenter-options", text: "▾",
    "i18n-aria-label": ["presenter.options", "Presenter mode: what to hide"],
    "i18n-title": ["presenter.options", "Presenter mode: what to hide"],
  });
  container.append(el("span", { class: "cl-split" }, toggle, chooser));

  const list = el("div", { class: "cl-checklist" });
  const panel = el("div", { class: "cl-panel", "data-role": "presenter-options", role: "dialog", "i18n-aria-label": ["presenter.options", "Presenter mode: what to hide"] },
    el("h2", { class: "cl-panel-title", i18n: ["presenter.hideTitle", "Hide in presenter mode"] }),
    list,
    el("p", { class: "hint", i18n: ["presenter.hint", "The choice is part of the page address, so a bookmark brings it back."] }));
  popover(chooser, panel, { onOpen: renderList });

  function checkbox(id, label) {
    const box = el("input", { type: "checkbox", "data-hide-item": id, checked: hide.has(id) });
    box.addEventListener("change", () => {
      if (box.checked) hide.add(id); else hide.delete(id);
      on = true; // choosing what to hide shows the result
      apply();
    });
    return el("label", { class: "chip cl-check" }, box, label);
  }

  function renderList() {
    /** @type {[string[], string[][]][]} */
    const groups = [
      [["presenter.panels", "Panels"], [...PANELS.map((p) => [p.id, text(p)]), ...extraPanels().map((p) => [p.id, p.label])]],
      [["presenter.controls", "Controls"], CONTROLS.map((c) => [c.id, text(c)])],
    ];
    list.replaceChildren(...groups.map(([title, items]) => el("fieldset", { class: "cl-group" },
      el("legend", { i18n: title }),
      ...items.map(([id, label]) => checkbox(id, label)))));
  }

  function text(item) {
    const span = el("span");
    i18nText(span, item.key, item.en);
    return span;
  }

  /** Put the state on the page and in the URL. */
  function apply() {
    const body = document.body;
    body.classList.toggle("is-presenter", on);
    body.dataset.presenterHide = on ? [...hide].filter((id) => KNOWN.has(id)).join(" ") : "";
    for (const p of extraPanels()) p.node.classList.toggle("presenter-hidden", on && hide.has(p.id));
    toggle.setAttribute("aria-pressed", String(on));
    // a column (or the run bar) with nothing left to show gives its room to the network
    const layout = document.querySelector(".layout");
    const empty = (node) => !node || [...node.children].every((c) => getComputedStyle(c).display === "none");
    layout?.classList.toggle("presenter-no-left", on && empty(document.querySelector(".column-left")));
    layout?.classList.toggle("presenter-no-right", on && empty(document.querySelector(".column-right")));
    document.getElementById("runbar")?.classList.toggle("presenter-hidden", on && empty(document.getElementById("runbar")));
    setQueryParams({ presenter: on ? "1" : null, hide: on ? [...hide].join(",") : null });
    onChange?.(on);
  }

  toggle.addEventListener("click", () => {
    on = !on;
    apply();
  });
  onLanguageChange(() => {
    if (panel.matches(":popover-open")) renderList();
  });
  apply();

  return {
    toggle() {
      on = !on;
      apply();
    },
    /** Re-apply after other modules added panels (the page has finished loading). */
    refresh: apply,
    get on() { return on; },
    /** What is hidden when on (the ids in the URL). */
    get hidden() { return [...hide]; },
    /**
     * Follow another page's presenter settings (a live class's teacher).
     * @param {boolean} value
     * @param {string[]} items
     */
    set(value, items) {
      if (value === on && items.length === hide.size && items.every((i) => hide.has(i))) return;
      on = value;
      hide.clear();
      for (const i of items) hide.add(i);
      apply();
    },
  };
}
