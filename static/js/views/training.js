// The training panel: optimiser (with its options), learning rate, batch size,
// regularisation and its rate. Each change is a PATCH of the session's training.

import { el, field, setOptions, syncValue, tex } from "../dom.js";
import { byName, optionDefaults } from "../spec.js";
import { getLanguage, onLanguageChange, t as tr } from "../i18n.js";
import { changes } from "../frame.js"; // `t` is the training settings below

const names = (list) => (list ?? []).map((e) => (typeof e === "string" ? e : e.name));

export function mountTraining(store, actions, root) {
  const optimizer = el("select", { "data-control": "optimizer", "i18n-aria-label": ["training.optimizer", "Optimiser"] });
  const formula = el("div", { class: "formula" });
  const options = el("div", { "data-control": "optimizer-options" });
  const lr = el("input", { type: "number", min: "0", step: "any", "data-control": "learning-rate", "i18n-aria-label": ["training.learningRateAria", "Learning rate"] });
  const batch = el("input", { type: "number", min: "1", step: "1", "data-control": "batch-size", "i18n-aria-label": ["training.batchSize", "Batch size"] });
  const batchNote = el("span", { class: "field-value" });
  const reg = el("select", { "data-control": "regularization", "i18n-aria-label": ["training.regularization", "Regularisation"] });
  const regRate = el("input", { type: "number", min: "0", step: "any", "data-control": "regularization-rate", "i18n-aria-label": ["training.regRateAria", "Regularisation rate"] });

  root.append(
    field(["training.optimizer", "Optimiser"], optimizer), formula, options,
    field(["training.learningRate", "Learning rate η"], lr),
    field(["training.batchSize", "Batch size"], batch, batchNote),
    field(["training.regularization", "Regularisation"], reg),
    field(["training.regRate", "Reg. rate λ"], regRate),
  );

  const patch = (p) => actions.patchTraining(p);
  optimizer.addEventListener("change", () => patch({ optimizer: optimizer.value }));
  lr.addEventListener("change", () => {
    const v = Number(lr.value);
    if (lr.value !== "" && Number.isFinite(v)) patch({ learning_rate: v });
  });
  batch.addEventListener("change", () => {
    const v = Math.floor(Number(batch.value));
    if (Number.isFinite(v)) patch({ batch_size: v });
  });
  reg.addEventListener("change", () => patch({ regularization: reg.value }));
  regRate.addEventListener("change", () => {
    const v = Number(regRate.value);
    if (regRate.value !== "" && Number.isFinite(v)) patch({ regularization_rate: v });
  });

  let optionsFor = null;
  function renderOptions(entry, training) {
    const defaults = optionDefaults(entry);
    if (optionsFor !== entry?.name) {
      optionsFor = entry?.name;
      options.replaceChildren(...Object.keys(defaults).map((key) => {
        const input = el("input", { type: "number", step: "any", "data-option": key, "i18n-aria-label": [`training.option.${key}`, key] });
        input.addEventListener("change", () => {
          const v = Number(input.value);
          if (input.value !== "" && Number.isFinite(v)) patch({ [key]: v });
        });
        return field([`training.option.${key}`, key.replace(/(\d)$/, "$1")], input);
      }));
    }
    for (const input of options.querySelectorAll("input")) {
      const key = input.dataset.option;
      syncValue(input, training?.[key] ?? defaults[key]);
    }
  }

  function render() {
    const { catalog, session } = store.state;
    if (!catalog || !session) return;
    const t = session.training ?? {};
    setOptions(optimizer, names(catalog.optimizers).map((n) => ({ value: n, label: tr(`training.optimizerName.${n}`, n) })));
    syncValue(optimizer, t.optimizer);
    const entry = byName(catalog.optimizers, t.optimizer);
    tex(formula, entry?.formula);
    renderOptions(entry, t);
    syncValue(lr, t.learning_rate);
    const nTrain = session.dataset?.x?.length ?? 1;
    batch.max = String(Math.min(nTrain, catalog.limits?.max_batch ?? nTrain));
    syncValue(batch, t.batch_size);
    batchNote.textContent = tr("training.batchOf", "of {n}", { n: nTrain });
    setOptions(reg, names(catalog.regularizations).map((n) => ({ value: n, label: tr(`training.reg.${n}`, n) })));
    syncValue(reg, t.regularization ?? "none");
    syncValue(regRate, t.regularization_rate ?? 0);
    regRate.disabled = (t.regularization ?? "none") === "none";
  }

  // during Play the session changes every frame; its training settings and data do not
  const inputsChanged = changes();
  store.on(["catalog", "session"], () => {
    const { catalog, session } = store.state;
    if (inputsChanged(catalog, session?.training, session?.dataset, getLanguage())) render();
  });
  onLanguageChange(render);
}
