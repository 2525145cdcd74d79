// The page address (issue 17): after the first change it names the session and the view
// (open tab, selected neuron or weight, edge mode, sample, speed, language; presenter
// mode keeps its own keys), so a reload, a bookmark or another browser opens the same.
// Meaningful view changes push a history entry (Back/Forward walk through them), the rest
// replace it; nothing is written per frame (an unchanged address is not written at all).
// An address naming a session the server no longer has shows a notice to start fresh.
// Address values only ever pass through url-state.js's strict parsers and textContent.

import { el } from "../dom.js";
import { getLanguage, onLanguageChange, setLanguage, t } from "../i18n.js";
import { historyMode, parseAddress, serialiseAddress } from "../url-state.js";

/**
 * @param {import("../store.js").Store} store
 * @param {any} actions
 * @param {{teach: HTMLElement, notice: HTMLElement}} nodes  the teaching panel (#panel-side); the notice goes after `notice`
 */
export function mountAddress(store, actions, { teach, notice }) {
  let syncing = false; // on after the first view is shown; off while an address is applied

  const tabOpen = () => teach.dataset.teachOpen || "inspector";
  function openTab(id) {
    const button = /** @type {HTMLElement | null} */ (teach.querySelector(`[data-teach-tab="${id}"]`));
    if (id && tabOpen() !== id) button?.click();
  }

  /** The view as address values. */
  function current() {
    const s = store.state;
    return {
      session: s.session?.id ?? null, tab: tabOpen(), edges: s.edgeMode, sel: s.selection,
      sample: s.sample, speed: s.speed, lang: getLanguage() === "en" ? null : getLanguage(),
    };
  }

  function write() {
    if (!syncing || store.state.following || store.state.lostSession) return;
    const next = serialiseAddress(location.search, current());
    const mode = historyMode(location.search, next);
    if (!mode) return;
    const url = `${location.pathname}${next}${location.hash}`;
    if (mode === "push") history.pushState(null, "", url);
    else history.replaceState(history.state, "", url);
  }

  /** @param {string[]} bad */
  function reportBad(bad) {
    if (!bad.length) return;
    store.emit("error", {
      level: "info", title: t("address.title", "Page address"),
      message: t("address.bad", "Some values in the address were not valid here and their defaults are used: {keys}.", { keys: bad.join(", ") }),
    });
  }

  /** Show what the address names (at start and on Back/Forward). */
  async function apply({ values, bad }, loadSession) {
    syncing = false;
    try {
      if (loadSession && values.session && values.session !== store.state.session?.id) await actions.openSession(values.session);
      if (store.state.lostSession) return;
      if (values.lang && values.lang !== getLanguage()) setLanguage(values.lang);
      const stale = await actions.openView(values);
      openTab(values.tab ?? "inspector"); // after the selection, which opens the inspector
      reportBad([...bad, ...stale]);
    } finally {
      syncing = true;
      history.replaceState(history.state, "", `${location.pathname}${serialiseAddress(location.search, current())}${location.hash}`);
    }
  }

  // --- the notice of a lost session ------------------------------------------------------------
  const noticeText = el("p", { class: "address-notice-text" });
  const fresh = el("button", { type: "button", class: "btn btn-primary", "data-action": "start-fresh", i18n: ["address.fresh", "Start fresh"] });
  const box = el("div", { class: "address-notice", role: "alert", "data-role": "session-gone", hidden: true },
    el("h2", { class: "address-notice-title", i18n: ["address.goneTitle", "This session no longer exists"] }), noticeText, fresh);
  notice.after(box);
  fresh.addEventListener("click", () => actions.startFresh());
  function renderNotice() {
    const id = store.state.lostSession;
    box.hidden = !id;
    document.body.classList.toggle("is-session-gone", !!id);
    if (id) noticeText.textContent = t("address.gone", "The address names session {id}, which the server no longer has (it was deleted or expired). Start fresh with the default network, or pick a preset.", { id });
  }
  store.on("lostSession", (before) => {
    renderNotice();
    if (before && !store.state.lostSession) write();
  });
  onLanguageChange(() => {
    renderNotice();
    write();
  });

  store.on("change", write);
  new MutationObserver(write).observe(teach, { attributes: true, attributeFilter: ["data-teach-open"] });
  window.addEventListener("popstate", () => apply(parseAddress(location.search), true));

  return {
    /**
     * The options of actions.init(): a followed session or a shared setup as classroom/
     * found them, else the session the address names.
     * @param {{follow?: string, spec?: object}} options
     */
    initOptions(options) {
      const { values } = parseAddress(location.search);
      if (options.follow || !values.session) return options;
      return { session: values.session };
    },
    /** After the first session is shown: the rest of the view, then keep the address current. */
    ready() {
      const parsed = parseAddress(location.search);
      if (store.state.following) return Promise.resolve();
      return apply(parsed, false);
    },
  };
}
