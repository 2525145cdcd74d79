// Small DOM builders for the control panels (no HTML strings, no inline styles).

import { t } from "./i18n.js";

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(node.dataset, v);
    else if (k === "i18n") i18nText(node, v[0], v[1]);
    else if (k.startsWith("i18n-")) i18nAttr(node, k.slice(5), v[0], v[1]);
    else node.setAttribute(k, v === true ? "" : v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

/**
 * Translatable text: the element shows t(key, english) and keeps key and English
 * in data-i18n / data-i18n-en, so translateDom() re-translates it on a language switch.
 * In el(): { i18n: [key, english] } for the text, { "i18n-title": [key, english] } etc. for attributes.
 */
export function i18nText(node, key, english) {
  node.dataset.i18n = key;
  node.dataset.i18nEn = english;
  node.textContent = t(key, english);
}

function i18nAttr(node, attr, key, english) {
  const data = "i18n" + attr.replace(/(^|-)(\w)/g, (m, d, c) => c.toUpperCase());
  node.dataset[data] = key;
  node.dataset[`${data}En`] = english;
  node.setAttribute(attr, t(key, english));
}

/** A labelled row: label on the left, control(s) on the right. `label`: text or [i18n key, English]. */
export function field(label, ...controls) {
  const text = Array.isArray(label) ? { i18n: label } : { text: label };
  return el("label", { class: "field" }, el("span", { class: "field-label", ...text }),
    controls.length === 1 ? controls[0] : el("span", { class: "field-row" }, ...controls));
}

/** Replace a <select>'s options: items are {value, label, group?, disabled?}. */
export function setOptions(select, items) {
  // unchanged options are left alone: rebuilding would close a menu the user has open
  const sig = JSON.stringify(items);
  if (select.dataset.options === sig) return;
  select.dataset.options = sig;
  const current = select.value;
  select.replaceChildren();
  const groups = new Map();
  for (const it of items) {
    const opt = el("option", { value: it.value, text: it.label, disabled: it.disabled });
    if (it.group) {
      if (!groups.has(it.group)) {
        const g = el("optgroup", { label: it.group });
        groups.set(it.group, g);
        select.append(g);
      }
      groups.get(it.group).append(opt);
    } else {
      select.append(opt);
    }
  }
  if (items.some((it) => String(it.value) === current)) select.value = current;
}

/** Set a control's value unless the user is editing it right now. */
export function syncValue(input, value) {
  if (document.activeElement === input && input.type !== "checkbox" && input.tagName !== "SELECT") return;
  if (input.type === "checkbox") input.checked = !!value;
  else input.value = value === null || value === undefined ? "" : String(value);
}

/** Render LaTeX into `node` with KaTeX (DOM API, so the strict CSP is respected). */
export function tex(node, latex, fallback = "") {
  const key = latex || `plain:${fallback}`;
  if (node.dataset.tex === key) return;
  node.dataset.tex = key;
  node.replaceChildren();
  if (!latex) {
    node.textContent = fallback;
    return;
  }
  try {
    window.katex.render(latex, node, { throwOnError: false, displayMode: false });
  } catch {
    node.textContent = latex;
  }
}

/** Set a node's text only when it differs: assigning even the same text replaces the text node and invalidates layout. */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/** Enable or disable a control, touching the DOM only on a change (this runs on every frame of Play). */
export function setDisabled(control, disabled) {
  if (control.disabled !== disabled) control.disabled = disabled;
}

/**
 * Set an attribute only when it differs: even an equal value makes Blink lay the SVG out again.
 * @param {Element} node
 * @param {string} name
 * @param {string} value
 */
export function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}
