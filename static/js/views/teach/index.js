// The teaching panels in the side slot (#panel-side): tabs for the inspector, the
// layer equations, the gradient check, paths vs dynamic programming, gradient flow
// and replay. Each panel draws only while its tab is open; every number comes from
// an API answer for the current network and the selected sample (store.sample).

import "../../i18n/zh-teach.js";
import { t, onLanguageChange } from "../../i18n.js";
import { el } from "../../dom.js";
import { schedule } from "../../frame.js";
import { isBackwardFresh } from "../network-values.js";
import { mountInspector } from "./inspector.js";
import { mountEquations } from "./equations.js";
import { mountGradcheck } from "./gradcheck.js";
import { mountPaths } from "./paths.js";
import { mountFlow } from "./flow.js";
import { mountReplay } from "./replay.js";
import { mountPresetNote } from "./preset-note.js";

const TABS = [
  { id: "inspector", label: () => t("teach.tab.inspector", "Inspector"), mount: mountInspector },
  { id: "equations", label: () => t("teach.tab.equations", "Layer"), mount: mountEquations },
  { id: "gradcheck", label: () => t("teach.tab.gradcheck", "Check"), title: () => t("teach.tab.gradcheckTitle", "Gradient check: backprop beside central differences"), mount: mountGradcheck },
  { id: "paths", label: () => t("teach.tab.paths", "Paths"), mount: mountPaths },
  { id: "flow", label: () => t("teach.tab.flow", "Flow"), mount: mountFlow },
  { id: "replay", label: () => t("teach.tab.replay", "Replay"), mount: mountReplay },
];

/**
 * Mount the tabs into the side panel `panel` (#panel-side). The selection summary
 * (#side-panel, views/side-panel.js) stays at the top of the Inspector tab.
 */
/**
 * @param {import("../../store.js").Store} store
 * @param {import("../../actions/index.js").Actions} actions
 * @param {HTMLElement} panel
 * @param {{presetNote?: HTMLElement | null}} [slots]
 */
export function mountTeaching(store, actions, panel, { presetNote } = {}) {
  panel.classList.add("teach");
  const summary = panel.querySelector("#side-panel");
  const tabList = el("div", { class: "teach-tabs", role: "tablist" });
  const bodies = el("div", { class: "teach-bodies" });
  panel.append(tabList, bodies);

  let active = "inspector";
  const failed = new Set();
  let tracePending = null;

  const ctx = {
    store,
    actions,
    /** Is this tab open? */
    isActive: (id) => active === id,
    /** Open a tab (and bring the panel into view in its column). */
    open(id, { scroll = true } = {}) {
      activate(id);
      if (scroll) scrollIntoColumn();
    },
    /**
     * Make sure store.backward holds the selected sample's trace for the current
     * weights (one backward pass through actions.inspectSample); not while playing.
     */
    ensureTrace() {
      const s = store.state;
      if (!s.session || s.playing || isBackwardFresh(s)) return;
      const key = `${s.session.id}:${s.session.step}:${s.sample.split}:${s.sample.index}`;
      if (tracePending === key || failed.has(key)) return;
      tracePending = key;
      actions.inspectSample().then((r) => {
        if (!r) failed.add(key);
      }).finally(() => {
        if (tracePending === key) tracePending = null;
      });
    },
    /** The selected sample's trace when it belongs to the current weights, else null. */
    trace() {
      return isBackwardFresh(store.state) ? store.state.backward : null;
    },
  };

  const panels = new Map();
  for (const tab of TABS) {
    const button = el("button", {
      type: "button", class: "teach-tab", role: "tab", id: `teach-tab-${tab.id}`,
      "data-teach-tab": tab.id, "aria-controls": `teach-panel-${tab.id}`,
      onclick: () => ctx.open(tab.id), // and bring its content into view
    });
    const body = el("div", {
      class: "teach-body", role: "tabpanel", id: `teach-panel-${tab.id}`,
      "data-teach-panel": tab.id, "aria-labelledby": `teach-tab-${tab.id}`,
    });
    if (tab.id === "inspector" && summary) body.append(summary);
    tabList.append(button);
    bodies.append(body);
    const view = tab.mount(ctx, body);
    panels.set(tab.id, { tab, button, body, view, dirty: true });
  }

  function draw(id) {
    const p = panels.get(id);
    if (!p) return;
    if (active !== id) {
      p.dirty = true;
      return;
    }
    schedule(`teach-${id}`, () => {
      p.dirty = false;
      p.view.render();
      align();
    });
  }

  function activate(id) {
    if (!panels.has(id)) return;
    const previous = active;
    active = id;
    for (const [pid, p] of panels) {
      const on = pid === id;
      p.button.setAttribute("aria-selected", String(on));
      p.button.tabIndex = on ? 0 : -1;
      p.body.hidden = !on;
    }
    panel.dataset.teachOpen = id;
    if (previous !== id) panels.get(previous)?.view.hide?.();
    draw(id);
  }

  function labels() {
    for (const p of panels.values()) {
      p.button.textContent = p.tab.label();
      if (p.tab.title) p.button.title = p.tab.title();
    }
  }

  // arrow keys move between tabs (the tablist pattern)
  tabList.addEventListener("keydown", (event) => {
    const ids = TABS.map((x) => x.id);
    const i = ids.indexOf(active);
    const next = event.key === "ArrowRight" ? ids[(i + 1) % ids.length]
      : event.key === "ArrowLeft" ? ids[(i - 1 + ids.length) % ids.length] : null;
    if (!next) return;
    event.preventDefault();
    activate(next);
    panels.get(next).button.focus();
  });

  // Bring the panel's top into view in its column (at 1280×720 it sits below the charts).
  // For a moment after a click the panel stays aligned while its content grows.
  let stickUntil = 0;
  const column = panel.closest(".column");
  function align() {
    if (!column || performance.now() > stickUntil) return;
    const top = panel.getBoundingClientRect().top - column.getBoundingClientRect().top;
    if (Math.abs(top - 2) > 4) column.scrollTop += top - 2;
  }
  function scrollIntoColumn() {
    stickUntil = performance.now() + 1500;
    align();
  }
  if (column) {
    for (const type of ["wheel", "touchstart", "keydown"]) column.addEventListener(type, () => { stickUntil = 0; }, { passive: true });
    new ResizeObserver(align).observe(bodies);
  }

  // redraw a panel when what it shows changes (hidden panels redraw when opened)
  for (const [id, p] of panels) if (p.view.keys?.length) store.on(p.view.keys, () => draw(id));

  // a click on a neuron or an edge opens the inspector (paths and layer tabs follow it too)
  store.on("selection", (sel) => {
    if (!sel) return;
    const follows = active === "paths" ? sel.kind === "edge" : active === "equations";
    if (!follows && active !== "inspector") activate("inspector");
    scrollIntoColumn();
  });

  onLanguageChange(() => {
    labels();
    for (const id of panels.keys()) draw(id);
  });

  if (presetNote) mountPresetNote(ctx, presetNote);
  labels();
  activate("inspector");
  return ctx;
}
