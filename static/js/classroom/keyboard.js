// Keyboard shortcuts: space play/pause, → one step, f forward, b backward, r reset,
// p presenter mode, ? the list of keys. Not while typing in a control, and not with
// Ctrl/Alt/⌘ (the browser's own shortcuts). Keys press the page's buttons, so a
// disabled button (a read-only follow page) does nothing.

import { el } from "../dom.js";
import { t } from "../i18n.js";
import { isTypingTarget } from "./util.js";

/** The shortcuts: key (KeyboardEvent.key), how it is shown, what it does. */
const KEYS = [
  { key: " ", shown: "Space", aria: "Space", action: "play", i18n: ["keys.play", "Play / pause training"] },
  { key: "ArrowRight", shown: "→", aria: "ArrowRight", action: "step", i18n: ["keys.step", "One training step (Step)"] },
  { key: "f", shown: "F", aria: "F", action: "forward", i18n: ["keys.forward", "Forward pass of the selected sample"] },
  { key: "b", shown: "B", aria: "B", action: "backward", i18n: ["keys.backward", "Backward pass: δ and ∂C/∂W"] },
  { key: "r", shown: "R", aria: "R", action: "reset", i18n: ["keys.reset", "Reset: initial weights, step 0"] },
  { key: "p", shown: "P", aria: "P", action: "presenter", i18n: ["keys.presenter", "Presenter mode on / off"] },
  { key: "?", shown: "?", aria: "Shift+?", action: "help", i18n: ["keys.help", "This list of keys"] },
  { key: "Escape", shown: "Esc", aria: null, action: null, i18n: ["keys.escape", "Close a dialog or menu"] },
];

export function mountKeyboard(store, container, { presenter, readOnly = () => false }) {
  /** @param {string} action */
  const button = (action) => /** @type {HTMLButtonElement | null} */ (document.querySelector(`[data-action=${action}]`));
  for (const k of KEYS) {
    if (k.aria && ["play", "step", "forward", "backward", "reset"].includes(k.action)) button(k.action)?.setAttribute("aria-keyshortcuts", k.aria);
  }

  // --- the list of keys ------------------------------------------------------------------------
  const keyName = (k) => (k.key === " " ? { i18n: ["keys.space", "Space"] } : { text: k.shown });
  const rows = KEYS.map((k) => el("tr", {}, el("th", { scope: "row" }, el("kbd", keyName(k))), el("td", { i18n: k.i18n })));
  const close = el("button", { type: "button", class: "btn btn-small", "data-role": "close", i18n: ["dialog.close", "Close"] });
  const dialog = el("dialog", { class: "cl-dialog", "data-dialog": "keys", "aria-labelledby": "keys-dialog-title" },
    el("h2", { id: "keys-dialog-title", class: "cl-panel-title", i18n: ["keys.title", "Keyboard shortcuts"] }),
    el("table", { class: "keys-table" }, el("tbody", {}, ...rows)),
    el("p", { class: "hint", i18n: ["keys.note", "Keys work anywhere on the page except while typing in a field. Tab moves between controls, neurons and weights; Enter selects."] }),
    el("div", { class: "cl-dialog-actions" }, close));
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (event) => { if (event.target === dialog) dialog.close(); }); // the backdrop
  document.body.append(dialog);
  const help = el("button", {
    type: "button", class: "cl-btn cl-btn-icon", "data-control": "keys", text: "?", "aria-keyshortcuts": "Shift+?",
    "i18n-aria-label": ["keys.title", "Keyboard shortcuts"], "i18n-title": ["keys.buttonTitle", "Keyboard shortcuts (?)"],
    onclick: () => toggleHelp(),
  });
  container.append(help);

  function toggleHelp() {
    if (dialog.open) dialog.close();
    else dialog.showModal();
  }

  function perform(action) {
    if (action === "help") return toggleHelp();
    if (action === "presenter") return presenter.toggle();
    if (readOnly()) {
      store.emit("error", { level: "info", title: t("follow.title", "Following"), message: t("follow.readOnly", "This page follows a session read-only; its controls are off.") });
      return;
    }
    button(action)?.click();
  }

  // Was the focused element focused by a click (then Space plays) or with the keyboard (then
  // Space presses it, as usual)? :focus-visible cannot tell: any key press turns it on.
  let pointerAt = -Infinity;
  let focusByPointer = false;
  document.addEventListener("pointerdown", () => { pointerAt = performance.now(); }, true);
  document.addEventListener("focusin", () => { focusByPointer = performance.now() - pointerAt < 1000; }, true);

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.isComposing || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    if (isTypingTarget(target)) return;
    // ? toggles the list even while it is open; other keys wait until a dialog closes
    if (event.key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (document.querySelector("dialog[open]") || document.querySelector(":popover-open")) return;
    const key = event.key.length === 1 ? event.key.toLowerCase() : event.key;
    const entry = KEYS.find((k) => k.key === key && k.action);
    if (!entry) return;
    // Space and Enter on a button reached with the keyboard press that button, as usual
    if (key === " " && target instanceof Element && target.matches("button, a[href], [role=button], summary") && !focusByPointer) return;
    event.preventDefault();
    if (event.repeat && key !== "ArrowRight") return; // holding → steps on; holding Space does not flicker
    perform(entry.action);
  });
  // a button that has focus from a click must not also be pressed by the Space that plays
  document.addEventListener("keyup", (event) => {
    if (event.key === " " && event.target instanceof Element && event.target.matches("button") && focusByPointer) event.preventDefault();
  });

  return { dialog, toggleHelp };
}
