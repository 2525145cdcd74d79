// The lesson's small DOM pieces: a translated sentence with live KaTeX formulas, a
// display formula, a labelled value the tests can read, and the exercise widget.

import { el } from "../dom.js";
import { t } from "../i18n.js";
import { renderTex, texNum, exact } from "../views/teach/math.js";
import { splitMath } from "./prose.js";
import { parseAnswer, isClose } from "./check.js";

/**
 * Fill `node` with a sentence: t(key, english, params), its $…$ parts typeset by KaTeX.
 * @param {HTMLElement} node
 * @param {string} key
 * @param {string} english
 * @param {Record<string, unknown> | null} [params]
 */
export function fillProse(node, key, english, params = null) {
  node.replaceChildren();
  for (const part of splitMath(t(key, english, params))) {
    if (part.kind === "text") node.append(document.createTextNode(part.value));
    else node.append(renderTex(el(part.kind === "display" ? "div" : "span", { class: part.kind === "display" ? "lesson-display" : "lesson-math" }), part.value, { display: part.kind === "display" }));
  }
  return node;
}

/** A paragraph of prose (see fillProse). */
export const prose = (key, english, params = null, cls = "lesson-p") => fillProse(el("p", { class: cls }), key, english, params);

/** A display formula. */
export const formula = (latex, attrs = {}) => renderTex(el("div", { class: "lesson-formula", ...attrs }), latex, { display: true });

/** A number in LaTeX, 4 significant digits. */
export const n4 = (v) => texNum(v, 4);

/** A factor in a written-out product: negative numbers in parentheses. */
export const par = (v) => (v < 0 ? `(${n4(v)})` : n4(v));

/** A named value the tests compare with the API: <span data-lesson-value="name" data-value="exact">. */
export function valueSpan(name, v, digits = 4) {
  return renderTex(el("span", { class: "lesson-value", "data-lesson-value": name, "data-value": exact(v) }), texNum(v, digits));
}

/**
 * Predict, then reveal: an input [data-exercise], a check button and a verdict
 * [data-exercise-verdict] (data-correct true|false); on a wrong answer the derivation
 * with the learner's numbers. set() gives the question, the engine's answer and the derivation.
 * @param {string} id
 */
export function createExercise(id) {
  const question = el("p", { class: "lesson-q" });
  const input = el("input", { type: "text", inputmode: "decimal", autocomplete: "off", "data-exercise": id, class: "lesson-input", "i18n-aria-label": ["lesson.answer", "Your answer"] });
  const check = el("button", { type: "button", class: "btn btn-primary btn-small", "data-action": "exercise-check", i18n: ["lesson.check", "Check"] });
  const verdict = el("div", { class: "lesson-verdict", "data-exercise-verdict": id, "aria-live": "polite" });
  const node = el("section", { class: "lesson-exercise", "data-lesson-exercise": id },
    el("h4", { class: "lesson-ex-title", i18n: ["lesson.predict", "Predict, then check"] }),
    question, el("div", { class: "lesson-answer-row" }, input, check), verdict);
  /** @type {{truth: number, derive: (answer: number | null) => HTMLElement, tolerance?: object} | null} */
  let current = null;

  function judge() {
    if (!current) return;
    const answer = parseAnswer(/** @type {HTMLInputElement} */ (input).value);
    const ok = isClose(answer, current.truth, current.tolerance);
    verdict.dataset.correct = String(ok);
    verdict.dataset.answer = exact(current.truth);
    verdict.replaceChildren();
    if (answer === null) {
      verdict.dataset.correct = "false";
      verdict.append(el("p", { class: "lesson-bad", i18n: ["lesson.notNumber", "Type a number, e.g. 1.68 or −0.32."] }));
      return;
    }
    if (ok) {
      verdict.append(fillProse(el("p", { class: "lesson-good" }), "lesson.right", "Right: the engine computed ${truth}$.", { truth: texNum(current.truth, 6) }));
    } else {
      verdict.append(fillProse(el("p", { class: "lesson-bad" }), "lesson.wrong", "Not quite: you wrote ${answer}$, the engine computed ${truth}$. Here is the calculation with your network's numbers:", { answer: texNum(answer, 6), truth: texNum(current.truth, 6) }));
      verdict.append(current.derive(answer));
    }
  }
  check.addEventListener("click", judge);
  input.addEventListener("keydown", (event) => { if (/** @type {KeyboardEvent} */ (event).key === "Enter") judge(); });

  return {
    node,
    /**
     * @param {{key: string, en: string, params?: Record<string, unknown>, truth: number, derive: (answer: number | null) => HTMLElement, tolerance?: object}} q
     */
    set(q) {
      const changed = !current || current.truth !== q.truth;
      current = q;
      fillProse(question, q.key, q.en, q.params ?? null);
      if (changed && verdict.dataset.correct !== undefined) {
        // new numbers: the old verdict was about other ones
        delete verdict.dataset.correct;
        verdict.replaceChildren();
      }
    },
  };
}
