// Run to a target (issue 17): "run N steps / N epochs" in the run bar, and the epoch
// counter ([data-metric=epoch]) beside the step counter: passes over the training set,
// step · B / n (B the minibatch size, at most n).

import { el, setText } from "../dom.js";

export function mountRunTarget(store, actions, root) {
  const count = el("input", { type: "number", min: "1", max: "100000", step: "1", value: "100", class: "run-target-n", "data-control": "run-target", "i18n-aria-label": ["target.count", "How many"] });
  const unit = el("select", { class: "run-target-unit", "data-control": "run-unit", "i18n-aria-label": ["target.unit", "Steps or epochs"] },
    el("option", { value: "steps", i18n: ["target.steps", "steps"] }), el("option", { value: "epochs", i18n: ["target.epochs", "epochs"] }));
  const go = el("button", { type: "button", class: "btn", "data-action": "run-target", "i18n-title": ["target.title", "Train this many steps or epochs, then stop"] },
    el("span", { i18n: ["target.run", "Run"] }));
  root.querySelector(".run-buttons")?.after(el("div", { class: "run-target" }, go, count, unit));
  go.addEventListener("click", () => {
    const n = Math.floor(Number(count.value));
    if (Number.isFinite(n) && n >= 1 && n <= 100000) actions.runTarget(n, unit.value);
  });

  const epoch = el("dd", { "data-metric": "epoch", text: "0" });
  root.querySelector("[data-metric=step]")?.parentElement?.after(
    // its own class: `.metric dt` counts the loss and accuracy figures (classroom tests, presenter)
    el("div", { class: "metric-epoch" }, el("dt", { i18n: ["metric.epoch", "epoch"] }), epoch));
  store.on("session", () => {
    const s = store.state.session;
    if (!s) return;
    const n = s.dataset.n_train;
    const value = n ? (s.step * Math.min(s.training.batch_size, n)) / n : 0;
    setText(epoch, Number.isInteger(value) ? String(value) : value.toFixed(1));
  });
}
