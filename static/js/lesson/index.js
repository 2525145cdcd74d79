// The guided lesson (issue 19): a header button opens a drawer that walks through the
// derivation of backprop in seven steps on the learner's own network. Each step (./steps.js)
// sets the tool up through the actions, highlights what it talks about and recomputes its
// formulas when the state changes. ←/→ move between steps while it is open; the step is kept
// in the URL (#lesson=N, ./progress.js); the first visit suggests it once.

import { el } from "../dom.js";
import { t, onLanguageChange } from "../i18n.js";
import { isTypingTarget } from "../classroom/util.js";
import { STEPS } from "./steps.js";
import { stepFromHash, hashWithStep } from "./progress.js";

const SUGGESTED_KEY = "backprop-explorer.lesson-suggested";

/**
 * @param {import("../store.js").Store} store
 * @param {import("../actions/index.js").Actions} actions
 * @param {{header: HTMLElement, brand: HTMLElement}} slots  the header's buttons, and its brand (the suggestion replaces the tagline)
 */
export function mountLesson(store, actions, { header, brand }) {
  const open = el("button", { type: "button", class: "btn btn-small lesson-open", "data-action": "lesson", "aria-expanded": "false",
    "i18n-title": ["lesson.openTitle", "A guided lesson: the derivation of backprop, step by step, on this network"] },
  el("span", { i18n: ["lesson.button", "Lesson"] }));
  header.prepend(open);

  const counter = el("span", { class: "lesson-counter" });
  const title = el("h2", { class: "lesson-title", id: "lesson-title" });
  const close = el("button", { type: "button", class: "btn btn-quiet btn-small", "data-action": "lesson-close", "i18n-aria-label": ["lesson.close", "Close the lesson"], text: "×" });
  const body = el("div", { class: "lesson-body" });
  const prev = el("button", { type: "button", class: "btn btn-small", "data-action": "lesson-prev", i18n: ["lesson.prev", "← Back"] });
  const next = el("button", { type: "button", class: "btn btn-primary btn-small", "data-action": "lesson-next", i18n: ["lesson.next", "Next →"] });
  const dots = el("ol", { class: "lesson-dots" });
  const drawer = el("aside", { class: "lesson", "data-view": "lesson", "aria-labelledby": "lesson-title", hidden: true },
    el("header", { class: "lesson-head" }, counter, title, close),
    body,
    el("footer", { class: "lesson-foot" }, prev, dots, next));
  document.body.append(drawer);

  let step = 0; // 0 while closed
  /** @type {{destroy?: () => void} | null} */
  let view = null;
  /** @type {{step: number} | null} */
  let setupDone = null;

  const ctx = {
    store, actions,
    /** A preset's create request from the catalog. @param {string} id */
    preset: (id) => store.state.catalog?.presets?.find((/** @type {any} */ p) => p.id === id)?.request,
    /** Mark elements the step talks about. @param {string[]} selectors */
    highlight(selectors) {
      for (const node of document.querySelectorAll(".lesson-glow")) node.classList.remove("lesson-glow");
      for (const sel of selectors) for (const node of document.querySelectorAll(sel)) node.classList.add("lesson-glow");
    },
    /** Let weights glow in the network view (its path highlight). @param {string[]} edges  "l:j:k" keys */
    glowEdges(edges) {
      actions.highlightPaths(edges.length ? [{ edges, contribution: 1 }] : null);
    },
  };

  function drawDots() {
    dots.replaceChildren(...STEPS.map((s, i) => el("li", {},
      el("button", { type: "button", class: `lesson-dot${i + 1 === step ? " is-current" : ""}`, "data-lesson-goto": String(i + 1),
        "aria-label": `${i + 1}. ${t(s.title[0], s.title[1])}`, "aria-current": i + 1 === step ? "step" : null, text: String(i + 1),
        onclick: () => go(i + 1) }))));
  }

  /** Draw the current step (again after a language change; its setup runs once per visit). */
  function draw() {
    view?.destroy?.();
    ctx.highlight([]);
    if (store.state.highlightPaths) actions.highlightPaths(null);
    const s = STEPS[step - 1];
    drawer.dataset.lessonStep = String(step);
    counter.textContent = t("lesson.counter", "Step {n} of {total}", { n: step, total: STEPS.length });
    title.textContent = t(s.title[0], s.title[1]);
    /** @type {HTMLButtonElement} */ (prev).disabled = step === 1;
    next.textContent = step === STEPS.length ? t("lesson.finish", "Finish ✓") : t("lesson.next", "Next →");
    drawDots();
    body.replaceChildren();
    body.scrollTop = 0;
    view = s.mount(ctx, body);
  }

  /** @param {number} n */
  function go(n) {
    if (n < 1 || n > STEPS.length) return;
    const entering = n !== step;
    step = n;
    draw();
    if (entering || !setupDone || setupDone.step !== n) {
      setupDone = { step: n };
      STEPS[n - 1].setup?.(ctx);
    }
    history.replaceState(null, "", location.pathname + location.search + hashWithStep(location.hash, n));
  }

  function show(n) {
    dismissSuggestion();
    drawer.hidden = false;
    document.body.dataset.lesson = "open";
    open.setAttribute("aria-expanded", "true");
    go(n);
  }

  function hide() {
    view?.destroy?.();
    view = null;
    ctx.highlight([]);
    step = 0;
    setupDone = null;
    drawer.hidden = true;
    delete drawer.dataset.lessonStep;
    delete document.body.dataset.lesson;
    open.setAttribute("aria-expanded", "false");
    history.replaceState(null, "", location.pathname + location.search + hashWithStep(location.hash, null));
    if (store.state.highlightPaths) actions.highlightPaths(null);
  }

  open.addEventListener("click", () => (step ? hide() : show(1)));
  close.addEventListener("click", hide);
  prev.addEventListener("click", () => go(step - 1));
  next.addEventListener("click", () => (step === STEPS.length ? hide() : go(step + 1)));

  // ←/→ move through the lesson while it is open (before the page's own → = Step)
  document.addEventListener("keydown", (event) => {
    if (!step || event.ctrlKey || event.metaKey || event.altKey || isTypingTarget(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    event.preventDefault();
    event.stopPropagation();
    if (event.key === "ArrowRight" && step < STEPS.length) go(step + 1);
    if (event.key === "ArrowLeft" && step > 1) go(step - 1);
  }, true);

  onLanguageChange(() => { if (step) draw(); });

  // --- the first visit's suggestion ------------------------------------------------------------
  /** @type {HTMLElement | null} */
  let suggestion = null;
  function dismissSuggestion() {
    try { localStorage.setItem(SUGGESTED_KEY, "dismissed"); } catch { /* not remembered */ }
    suggestion?.remove();
    suggestion = null;
    open.classList.remove("is-suggested");
  }
  function suggest() {
    let seen = null;
    try { seen = localStorage.getItem(SUGGESTED_KEY); } catch { /* storage disabled: suggest */ }
    if (seen) return;
    suggestion = el("div", { class: "lesson-suggest", "data-role": "lesson-suggest", role: "status" },
      el("span", { class: "lesson-suggest-text", i18n: ["lesson.suggest", "New here? Seven steps derive backprop on this network."] }),
      el("span", { class: "lesson-suggest-short", i18n: ["lesson.suggestShort", "New here?"] }),
      el("button", { type: "button", class: "btn btn-primary btn-small", "data-action": "lesson-start", i18n: ["lesson.start", "Start the lesson"], onclick: () => show(1) }),
      el("button", { type: "button", class: "btn btn-quiet btn-small", "data-action": "lesson-dismiss", "i18n-aria-label": ["lesson.dismiss", "Not now"], "i18n-title": ["lesson.dismiss", "Not now"], text: "×", onclick: dismissSuggestion }));
    brand.append(suggestion);
    open.classList.add("is-suggested"); // where the header has no room for the sentence, the button still stands out
    fitSuggestion();
  }
  /** The whole sentence where it fits in two lines beside its buttons, else "New here?", else
   * the buttons alone, else nothing (the Lesson button stays highlighted). */
  function fitSuggestion() {
    if (!suggestion) return;
    const pill = suggestion;
    const over = (/** @type {Element} */ e) => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
    const fits = (/** @type {string} */ sel) => {
      const text = /** @type {HTMLElement} */ (pill.querySelector(sel));
      return !over(text) && !over(pill) && text.clientWidth >= 40;
    };
    pill.classList.remove("is-short", "is-bare", "is-cramped");
    if (fits(".lesson-suggest-text")) return;
    pill.classList.add("is-short");
    if (fits(".lesson-suggest-short")) return;
    pill.classList.add("is-bare"); // its Start button alone
    if (over(pill)) pill.classList.add("is-cramped");
  }
  // the header's room changes with the screen, the language and the buttons beside it
  new ResizeObserver(fitSuggestion).observe(/** @type {HTMLElement} */ (brand.parentElement));
  new ResizeObserver(fitSuggestion).observe(header);
  onLanguageChange(fitSuggestion);

  return {
    /** After the page's first session exists: reopen the step in the URL, or suggest the lesson. */
    start() {
      const n = stepFromHash(location.hash, STEPS.length);
      if (n) show(n);
      else suggest();
    },
  };
}
