// A refused value (actions emit "refused" with plain words from refusals.js): the field
// shows the value in force again at once — focused or not — and the message sits right
// under it until the next accepted change or a click on it.

import { t } from "../i18n.js";

/** The input of each setting the server may refuse, by its name in the API. */
const INPUTS = {
  learning_rate: '[data-control="learning-rate"]',
  batch_size: '[data-control="batch-size"]',
  regularization_rate: '[data-control="regularization-rate"]',
};
const selectorOf = (key) => INPUTS[key] ?? `[data-option="${key}"]`;

export function mountFieldErrors(store, root = document) {
  /** @type {Map<string, HTMLElement>} */
  const shown = new Map();

  function clear(key) {
    const box = shown.get(key);
    if (!box) return;
    box.remove();
    shown.delete(key);
    root.querySelector(selectorOf(key))?.classList.remove("is-refused");
  }

  store.on("refused", ({ key, message }) => {
    /** @type {HTMLInputElement | null} */
    const input = root.querySelector(selectorOf(key));
    const inForce = store.state.session?.training?.[key];
    if (input && inForce !== undefined) input.value = String(inForce);
    const text = inForce !== undefined ? `${message} ${t("refuse.kept", "Still {value}.", { value: inForce })}` : message;
    clear(key);
    const anchor = input?.closest(".field");
    if (!input || !anchor) {
      store.emit("error", { title: t("toast.error", "Error"), message: text });
      return;
    }
    const box = document.createElement("p");
    box.className = "field-error";
    box.dataset.role = "field-error";
    box.dataset.field = key;
    box.setAttribute("role", "alert");
    box.id = `field-error-${key}`;
    box.textContent = text;
    box.addEventListener("click", () => clear(key));
    anchor.after(box);
    input.classList.add("is-refused");
    input.setAttribute("aria-describedby", box.id);
    shown.set(key, box);
  });

  // an accepted change of the training settings ends the message of every field it names
  let last = store.state.session?.training;
  store.on("session", () => {
    const now = store.state.session?.training;
    if (now === last) return;
    const before = last;
    last = now;
    for (const key of [...shown.keys()]) {
      if (before && now && before[key] !== now[key]) clear(key);
    }
  });
}
