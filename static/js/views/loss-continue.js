// "Continue from here" on the loss chart (issue 17): a step chosen on the chart is continued
// from the nearest stored snapshot at or before it, a new session made exactly as Replay's
// button makes it (POST /branch: weights, optimiser state and minibatch position).

import { el } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";

/**
 * The button under the chart and the choice it acts on.
 * @param {import("../store.js").Store} store
 * @param {any} actions
 * @returns {{button: HTMLButtonElement, choose: (step: number) => Promise<void>, clear: () => void}}
 */
export function chartContinue(store, actions) {
  const label = el("span");
  const button = /** @type {HTMLButtonElement} */ (el("button", { type: "button", class: "btn btn-small chart-continue", "data-action": "continue-from-chart" }, label));
  button.hidden = true;
  /** @type {{key: string, steps: number[]} | null} */
  let stored = null;          // the session's stored snapshot steps, while it has not moved on
  /** @type {number | null} */
  let chosen = null;
  /** @type {number | undefined} */
  let target;

  /** @returns {Promise<number[] | null>} */
  async function storedSteps() {
    const s = store.state.session;
    const key = `${s.id}:${s.step}`;
    if (stored?.key !== key) {
      const r = await actions.snapshots();
      if (!r) return null;
      stored = { key, steps: r.answer.snapshots.map((/** @type {{step: number}} */ p) => p.step) };
    }
    return stored.steps;
  }

  function describe() {
    if (chosen === null) return;
    if (target === undefined) {
      label.textContent = t("branch.chartNone", "No stored snapshot at or before step {c}", { c: chosen });
      button.title = "";
      return;
    }
    label.textContent = target === chosen
      ? t("branch.chartAction", "Continue from step {s}", { s: target })
      : t("branch.chartNearest", "Continue from step {s} (the snapshot before {c})", { s: target, c: chosen });
    button.title = t("branch.chartTitle", "Step {c} chosen: a new session starts from the nearest stored snapshot at or before it, step {s} (weights, optimiser state and minibatch position)", { c: chosen, s: target });
  }

  /** @param {number} step */
  async function choose(step) {
    chosen = step;
    target = undefined;
    button.hidden = false;
    button.disabled = true;
    button.dataset.chosen = String(step);
    delete button.dataset.step;
    label.textContent = t("branch.chartLooking", "Finding the snapshot…");
    const steps = await storedSteps();
    if (chosen !== step || !steps) return;
    target = steps.filter((s) => s <= step).pop();
    button.disabled = target === undefined;
    if (target !== undefined) button.dataset.step = String(target);
    describe();
  }

  function clear() {
    chosen = null;
    target = undefined;
    button.hidden = true;
  }

  button.addEventListener("click", () => {
    if (target !== undefined) actions.branchFrom(target);
  });
  onLanguageChange(describe);
  return { button, choose, clear };
}
