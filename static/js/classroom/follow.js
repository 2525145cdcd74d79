// Follow mode (?follow=<id>): the page shows someone else's live session read-only. It
// polls GET /api/networks/{id} about once a second (and, when the session changed, its
// metrics, the sample's values and the heatmaps), with every control disabled and a
// "following" badge. Students cannot change the session: the controls are disabled, and
// every action that would change it or make another one is switched off.

import { el } from "../dom.js";
import { t } from "../i18n.js";
import { queryParams } from "./util.js";
import { setupLink } from "./share.js";

const POLL_MS = 1000;
const RETRY_MS = 3000;

/** Actions a follow page keeps: reads in the queue and what only changes the view here. */
const READ_ONLY_ACTIONS = new Set([
  "run", "query", "init", "loadSession", "followTick", "select", "exportSession",
  "followFrame", "mirrorView", "gradcheck", "paths", "snapshots", "previewStep", "inspectSample", "showGradient", "highlightPaths",
]);

/**
 * Controls that stay usable on a follow page (they change nothing but this page's view):
 * tabs, and any control marked data-follow-ok (e.g. a panel's "show layer 2" switch).
 */
const KEEP = "[data-follow-ok], [role=tab], #classroom-bar *, .cl-popover *, dialog *";

/** The id to follow from the URL, or null. */
export function followInUrl() {
  const id = queryParams().get("follow");
  return id && /^[A-Za-z0-9_-]{1,200}$/.test(id) ? id : null;
}

export function mountFollow(store, actions, container, id) {
  document.body.classList.add("is-following");

  // --- the badge ---------------------------------------------------------------------------------
  const status = el("span", { class: "follow-status" });
  const copyLink = el("a", { class: "follow-copy", "data-role": "own-copy", target: "_blank", rel: "noopener", i18n: ["follow.ownCopy", "my own copy"], "i18n-title": ["follow.ownCopyTitle", "Open this setup with its current weights as your own session, to try things"] });
  const badge = el("span", { class: "follow-badge", "data-role": "following", role: "status", title: id },
    el("span", { class: "follow-dot", "aria-hidden": "true" }),
    el("strong", { i18n: ["follow.badge", "Following"] }),
    el("span", { class: "follow-ro", i18n: ["follow.readOnlyBadge", "read-only"] }),
    status, copyLink);
  container.prepend(badge);
  store.on("session", async (s) => {
    if (!s) return;
    status.textContent = t("follow.atStep", "step {step}", { step: s.step });
    badge.classList.remove("is-stale");
    // "my own copy": this setup with the weights shown now, as a new session of one's own
    if (store.state.spec) copyLink.href = await setupLink(store.state, { weights: true });
  });

  // --- nothing that changes the session ----------------------------------------------------------
  for (const name of Object.keys(actions)) {
    if (typeof actions[name] !== "function" || READ_ONLY_ACTIONS.has(name)) continue;
    actions[name] = () => {
      store.emit("error", { level: "info", title: t("follow.title", "Following"), message: t("follow.readOnly", "This page follows a session read-only; its controls are off.") });
      return Promise.resolve();
    };
  }
  const lockable = () => /** @type {NodeListOf<HTMLButtonElement | HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>} */ (
    document.querySelectorAll("main button, main input, main select, main textarea, #preset-select"));
  function lock() {
    for (const node of lockable()) {
      if (!node.disabled && !node.matches(KEEP)) {
        node.disabled = true;
        node.dataset.followLocked = "";
      }
    }
  }
  // views re-render (and re-enable) their controls: disable them again as they appear
  const observer = new MutationObserver(lock);
  observer.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ["disabled"] });
  lock();

  // --- polling -----------------------------------------------------------------------------------
  async function poll() {
    if (document.hidden) {
      setTimeout(poll, POLL_MS);
      return;
    }
    const result = await actions.followTick();
    if (result === "gone") {
      badge.classList.add("is-gone");
      status.textContent = t("follow.ended", "session ended");
      return;
    }
    if (result === undefined) badge.classList.add("is-stale"); // the request failed (shown as a banner)
    setTimeout(poll, result === undefined ? RETRY_MS : POLL_MS);
  }

  return {
    /** Start polling once the first load is done. */
    start() {
      setTimeout(poll, POLL_MS);
    },
  };
}
