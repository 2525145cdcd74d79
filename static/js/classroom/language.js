// The header's language switch (English / 中文). The choice is remembered by i18n.js
// (localStorage); every view redraws its text through onLanguageChange.

import { el } from "../dom.js";
import { getLanguage, languages, onLanguageChange, setLanguage, translateDom } from "../i18n.js";

const htmlLang = (code) => (code === "zh" ? "zh-CN" : "en");

/** Translate the static markup once at start (the remembered language may not be English). */
export function applyInitialLanguage() {
  document.documentElement.lang = htmlLang(getLanguage());
  translateDom(document);
}

export function mountLanguageSwitch(container) {
  const group = el("div", { class: "lang-switch", role: "group", "i18n-aria-label": ["lang.aria", "Language"] });
  const buttons = Object.entries(languages()).map(([code, name]) => el("button", {
    type: "button", class: "lang-btn", "data-lang": code, lang: htmlLang(code), text: name,
    "aria-pressed": String(code === getLanguage()),
    onclick: () => setLanguage(code),
  }));
  group.append(...buttons);
  container.append(group);
  onLanguageChange((lang) => {
    for (const b of buttons) b.setAttribute("aria-pressed", String(b.dataset.lang === lang));
  });
  return group;
}
