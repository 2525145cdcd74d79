// Interface text in English and Simplified Chinese. Code passes the English text
// with a stable key — t("run.step", "Step") — so English needs no dictionary and a
// missing translation falls back to it; dictionaries in ./i18n/ hold the other
// languages, one file per area of the page (each registers itself on import).
// Math notation is never translated.

/** @type {Record<string, string>} */
const LANGUAGES = { en: "English", zh: "中文" };
const STORAGE_KEY = "backprop-explorer.language";
/** @type {Record<string, Record<string, string>>} */
const dictionaries = { en: {}, zh: {} };
/** @type {Set<(lang: string) => void>} */
const listeners = new Set();

let language = initialLanguage();

function initialLanguage() {
  let saved = null;
  try { saved = localStorage.getItem(STORAGE_KEY); } catch { /* storage may be disabled */ }
  if (saved && saved in LANGUAGES) return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

/**
 * Add translations for `lang`: { key: text }.
 * @param {string} lang
 * @param {Record<string, string>} entries
 */
export function register(lang, entries) {
  Object.assign(dictionaries[lang], entries);
}

/**
 * The text for `key` in the current language; `{name}` placeholders filled from `params`.
 * @param {string} key
 * @param {string} english
 * @param {Record<string, unknown> | null} [params]
 */
export function t(key, english, params = null) {
  let text = (language !== "en" && dictionaries[language][key]) || english;
  if (params) text = text.replace(/\{(\w+)\}/g, (m, name) => (name in params ? String(params[name]) : m));
  return text;
}

export function getLanguage() { return language; }
export function languages() { return LANGUAGES; }

/**
 * Switch language, remember it, re-translate the static page and tell every view.
 * @param {string} lang
 */
export function setLanguage(lang) {
  if (!(lang in LANGUAGES) || lang === language) return;
  language = lang;
  try { localStorage.setItem(STORAGE_KEY, lang); } catch { /* not remembered, still switched */ }
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  translateDom(document);
  for (const fn of [...listeners]) fn(lang);
}

/**
 * Call `fn(lang)` after every language change (views redraw their text).
 * @param {(lang: string) => void} fn
 */
export function onLanguageChange(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/**
 * Translate static markup: an element with data-i18n="key" gets its text, and
 * data-i18n-title / data-i18n-aria-label / data-i18n-placeholder set those
 * attributes. The English text is read from the markup the first time.
 * @param {ParentNode} root
 */
export function translateDom(root) {
  for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll("[data-i18n]"))) {
    if (!el.dataset.i18nEn) el.dataset.i18nEn = el.textContent ?? "";
    el.textContent = t(el.dataset.i18n ?? "", el.dataset.i18nEn);
  }
  for (const attr of ["title", "aria-label", "placeholder"]) {
    const data = "i18n" + attr.replace(/(^|-)(\w)/g, (m, d, c) => c.toUpperCase());
    for (const el of /** @type {NodeListOf<HTMLElement>} */ (root.querySelectorAll(`[data-i18n-${attr}]`))) {
      const key = el.dataset[data] ?? "";
      const store = `${data}En`;
      if (!el.dataset[store]) el.dataset[store] = el.getAttribute(attr) || "";
      el.setAttribute(attr, t(key, el.dataset[store] ?? ""));
    }
  }
}
