// Small pieces shared by the teaching panels.

import { t } from "../../i18n.js";
import { el } from "../../dom.js";

export function noteEl(text) {
  return el("p", { class: "teach-note", text });
}

/** "train sample #3 · step 12": which numbers the panel shows. */
export function sampleCaption(state) {
  const s = state.sample;
  return el("p", { class: "teach-caption", "data-teach-caption": "" },
    t("teach.caption", "{split} sample #{index} · step {step}", {
      split: s.split === "test" ? t("teach.test", "test") : t("teach.train", "train"),
      index: s.index,
      step: state.session?.step ?? 0,
    }));
}

/** True while training runs (the panels then keep their last numbers). */
export function stalePlaying(state) {
  return !!state.playing;
}

/** The selected sample's target row as trained (one-hot when so). */
export function targetRow(state) {
  const d = state.session?.dataset;
  const s = state.sample;
  return (s.split === "test" ? d?.test_y : d?.y)?.[s.index] ?? null;
}

/**
 * The update of W^l[j][k] for a trace (a /backward answer): the server's `update`
 * (what the session's optimiser would apply for that batch, regularisation included)
 * when the answer has it; otherwise, for plain SGD only, −η·∂C/∂w computed here.
 */
export function updateOf(session, answer, l, j, k) {
  const server = answer?.update?.weights?.[l - 1]?.[j]?.[k];
  if (server !== undefined && server !== null) return { value: server, source: "server" };
  const tr = session?.training;
  const g = answer?.layers?.[l - 1]?.grad_weights?.[j]?.[k];
  if (tr?.optimizer !== "sgd" || g === undefined) return null;
  const reg = tr.regularization && tr.regularization !== "none" && tr.regularization_rate > 0;
  return {
    value: -tr.learning_rate * g,
    source: "page",
    note: t("teach.update.fallback", "Computed on the page as −η·∂C/∂w: the server's answer carries no update.")
      + (reg ? " " + t("teach.update.noReg", "Regularisation ({reg}) is not included.", { reg: tr.regularization }) : ""),
  };
}

/** Every ΔW^l of an answer: the server's, or −η·∂C/∂W for plain SGD; null otherwise. */
export function updateMatrices(session, answer) {
  if (answer?.update?.weights) return { weights: answer.update.weights, source: "server" };
  const tr = session?.training;
  if (tr?.optimizer !== "sgd" || !answer?.layers) return null;
  return { weights: answer.layers.map((x) => x.grad_weights.map((row) => row.map((g) => -tr.learning_rate * g))), source: "page" };
}

/** Largest |a − b| over two lists of matrices. */
export function maxDiff(A, B) {
  let m = 0;
  A.forEach((M, l) => M.forEach((row, j) => row.forEach((v, k) => { m = Math.max(m, Math.abs(v - B[l][j][k])); })));
  return m;
}
