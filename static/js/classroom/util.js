// Small helpers of the classroom modules: the page URL, downloads and header popovers.

import { el } from "../dom.js";

/** The page's query parameters. */
export function queryParams() {
  return new URLSearchParams(location.search);
}

/** Change query parameters in place (history.replaceState): null removes one. The fragment stays. */
export function setQueryParams(changes) {
  const params = queryParams();
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === undefined || value === "") params.delete(key);
    else params.set(key, value);
  }
  const query = params.toString().replace(/%2C/g, ",");
  history.replaceState(history.state, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
}

/** Save `data` (a Blob or text) as a file named `name`. */
export function download(name, data, type = "application/octet-stream") {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  // revoking at once can cancel the download in some browsers
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

/**
 * A header button that opens `panel` as a popover (light dismiss, Esc closes) just below
 * itself, right-aligned with it. The panel is appended to <body> (top layer).
 * @param {HTMLButtonElement} button
 * @param {HTMLElement} panel
 * @param {{onOpen?: () => void}} [options]
 */
export function popover(button, panel, { onOpen } = {}) {
  panel.setAttribute("popover", "auto");
  panel.classList.add("cl-popover");
  document.body.append(panel);
  button.popoverTargetElement = panel;
  button.setAttribute("aria-haspopup", "dialog");
  panel.addEventListener("beforetoggle", (event) => {
    if (event.newState !== "open") return;
    onOpen?.();
    const r = button.getBoundingClientRect();
    const top = Math.round(r.bottom + 6);
    panel.style.top = `${top}px`;
    panel.style.right = `${Math.max(8, Math.round(window.innerWidth - r.right))}px`;
    // on a narrow screen the panel may be wider than the room left of its button: it
    // then keeps 8 px from the left edge, and scrolls if taller than the room below
    panel.style.maxHeight = `${Math.max(120, window.innerHeight - top - 8)}px`;
    panel.style.overflowY = "auto";
  });
  panel.addEventListener("toggle", (event) => {
    if (/** @type {ToggleEvent} */ (event).newState !== "open") return;
    const right = parseFloat(panel.style.right) || 8;
    const fits = window.innerWidth - panel.offsetWidth - 8;
    if (right > fits) panel.style.right = `${Math.max(8, Math.round(fits))}px`;
  });
  return panel;
}

/** Is `node` a place where the user types (keys belong to it, not to the page's shortcuts)? */
export function isTypingTarget(node) {
  if (!(node instanceof Element)) return false;
  if (node instanceof HTMLElement && node.isContentEditable) return true;
  return node.matches("input, select, textarea");
}
