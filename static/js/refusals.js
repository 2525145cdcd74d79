// Plain words for a value the server refused (a 422's `errors[].loc` and limit) and for a
// diverged step: what happened and what to try. Pure: the text comes from i18n's t().

import { t } from "./i18n.js";

/** The settings a person types, by the last part of the server's `loc`. */
const FIELDS = /** @type {Record<string, [string, string]>} */ ({
  learning_rate: ["refuse.field.learning_rate", "The learning rate"],
  batch_size: ["refuse.field.batch_size", "The batch size"],
  regularization_rate: ["refuse.field.regularization_rate", "The regularisation rate"],
  momentum: ["refuse.field.momentum", "The momentum"],
  beta1: ["refuse.field.beta1", "β₁"],
  beta2: ["refuse.field.beta2", "β₂"],
  epsilon: ["refuse.field.epsilon", "ε"],
  layers: ["refuse.field.layers", "A layer's width"],
  n_samples: ["refuse.field.n_samples", "The number of samples"],
  noise: ["refuse.field.noise", "The noise"],
  test_fraction: ["refuse.field.test_fraction", "The test split"],
  seed: ["refuse.field.seed", "The seed"],
});

/** Pydantic's bound types (and the server's own "over the limit" check) as a sentence. */
const BOUNDS = /** @type {Record<string, [string, string]>} */ ({
  less_than_equal: ["refuse.atMost", "{field} can be at most {limit}."],
  less_than: ["refuse.below", "{field} must be less than {limit}."],
  greater_than_equal: ["refuse.atLeast", "{field} must be at least {limit}."],
  greater_than: ["refuse.above", "{field} must be more than {limit}."],
});

/**
 * @typedef {{loc?: (string|number)[], msg?: string, type?: string | null}} ServerError
 * @typedef {{key: string, message: string}} Refusal  key: the setting (last name in loc)
 */

/**
 * The first error of a 422 body that names a setting a person types, in plain words;
 * null when the error is about something else (the caller shows it as it is).
 * @param {{status?: number, body?: {errors?: ServerError[]} | null} | null | undefined} err
 * @returns {Refusal | null}
 */
export function plainRefusal(err) {
  if (err?.status !== 422) return null;
  for (const e of err.body?.errors ?? []) {
    const names = (e.loc ?? []).filter((p) => typeof p === "string");
    const key = /** @type {string | undefined} */ (names[names.length - 1]);
    if (!key || !(key in FIELDS)) continue;
    const field = t(...FIELDS[key]);
    const msg = e.msg ?? "";
    // the server's own limits: "batch size 500 is over the server's limit of 256"
    const over = /limit of (-?[\d.e+]+)/i.exec(msg);
    const bound = /(?:than|to) (-?[\d.e+-]+)\s*$/i.exec(msg);
    const type = over ? "less_than_equal" : e.type ?? "";
    const limit = over?.[1] ?? bound?.[1];
    if (limit !== undefined && type in BOUNDS) {
      return { key, message: t(...BOUNDS[type], { field, limit: Number(limit) }) };
    }
    if (type === "int_parsing" || type === "int_from_float") return { key, message: t("refuse.whole", "{field} must be a whole number.", { field }) };
    if (type.endsWith("_parsing") || type.startsWith("finite")) return { key, message: t("refuse.number", "{field} must be a number.", { field }) };
    return { key, message: t("refuse.other", "{field} cannot take that value.", { field }) };
  }
  return null;
}

/**
 * The divergence notice: what happened (at which step) and what to try.
 * @param {number | null | undefined} step  the step whose update was refused
 * @param {number | null | undefined} learningRate  the rate in force
 */
export function divergenceText(step, learningRate) {
  const happened = step
    ? t("diverge.happenedAt", "At step {step} the update would have made a weight or the loss infinite, so it was not applied and training stopped.", { step })
    : t("diverge.happened", "The update would have made a weight or the loss infinite, so it was not applied and training stopped.");
  const lr = learningRate && Number.isFinite(learningRate) ? Number((learningRate / 10).toPrecision(2)) : null;
  const tryText = lr
    ? t("diverge.tryRate", "Try a learning rate of {lr} or less, then Reset.", { lr })
    : t("diverge.try", "Try a smaller learning rate, then Reset.");
  return `${happened} ${tryText}`;
}
