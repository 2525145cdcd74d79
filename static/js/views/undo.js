// Undo and redo (issue 17): two buttons in the run bar and Ctrl+Z / Ctrl+Shift+Z (Ctrl+Y,
// and ⌘ on a Mac); in a text field the keys keep their own meaning.

import { el } from "../dom.js";

/** @param {EventTarget | null} target */
const typing = (target) => target instanceof HTMLElement
  && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)
    && !/^(range|checkbox|radio|button)$/.test(/** @type {HTMLInputElement} */ (target).type ?? ""));

export function mountUndo(store, actions, buttons) {
  // icons only, so the run bar keeps one row; the name is in aria-label and the tooltip
  const undo = el("button", { type: "button", class: "btn btn-quiet btn-undo", "data-action": "undo", text: "↶",
    "i18n-title": ["undo.title", "Undo the last edit (Ctrl+Z)"], "i18n-aria-label": ["undo.undo", "Undo"] });
  const redo = el("button", { type: "button", class: "btn btn-quiet btn-undo", "data-action": "redo", text: "↷",
    "i18n-title": ["undo.redoTitle", "Redo (Ctrl+Shift+Z)"], "i18n-aria-label": ["undo.redo", "Redo"] });
  buttons.append(undo, redo);
  undo.addEventListener("click", () => actions.undo());
  redo.addEventListener("click", () => actions.redo());
  const render = () => {
    const { undo: u, redo: r } = store.state.undo;
    undo.disabled = !u || !!store.state.following;
    redo.disabled = !r || !!store.state.following;
    undo.dataset.count = String(u);
    redo.dataset.count = String(r);
  };
  store.on(["undo", "following"], render);
  render();

  document.addEventListener("keydown", (event) => {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || typing(event.target)) return;
    const key = event.key.toLowerCase();
    if (key !== "z" && key !== "y") return;
    event.preventDefault();
    if (key === "y" || event.shiftKey) actions.redo();
    else actions.undo();
  });
}
