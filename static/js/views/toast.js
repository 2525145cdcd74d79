// Error banners: every API error (and divergence) becomes a readable message at
// the top of the page. They stay until closed, or fade after a while.

import { t } from "../i18n.js";

const LIFETIME_MS = 12000;

export function mountToasts(store, container) {
  store.on("error", (err) => {
    const message = err?.message || String(err);
    // the same message twice in a row: refresh the one shown instead of stacking
    const last = container.lastElementChild;
    if (last && last.dataset.message === message) {
      clearTimeout(Number(last.dataset.timer));
      last.dataset.timer = String(setTimeout(() => last.remove(), LIFETIME_MS));
      return;
    }
    const toast = document.createElement("div");
    toast.className = err?.level === "info" ? "toast is-info" : "toast";
    toast.setAttribute("role", "alert");
    toast.dataset.role = err?.level === "info" ? "info" : "error";
    toast.dataset.message = message;
    const text = document.createElement("div");
    text.className = "toast-text";
    const title = document.createElement("span");
    title.className = "toast-title";
    title.textContent = `${err?.title || (err?.status ? t("toast.errorStatus", "Error {status}", { status: err.status }) : t("toast.error", "Error"))}:`;
    text.append(title, document.createTextNode(` ${message}`));
    const close = document.createElement("button");
    close.type = "button";
    close.setAttribute("aria-label", t("toast.dismiss", "Dismiss"));
    close.textContent = "×";
    close.addEventListener("click", () => toast.remove());
    toast.append(text, close);
    container.append(toast);
    while (container.children.length > 3) container.firstElementChild.remove();
    toast.dataset.timer = String(setTimeout(() => toast.remove(), LIFETIME_MS));
  });
}
