// Test predictions for data with named classes (own data): a confusion matrix; for image
// data (digits 8×8) also the selected sample as an image, each first-layer neuron's weights
// W^1[j] as an image, and the test images with the network's guess, wrong ones marked.

import { el } from "../dom.js";
import { signed } from "../colors.js";
import { confusion } from "../own-data.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { changes } from "../frame.js";

const REFRESH_MS = 1000; // while Play runs, predictions are read again at most this often
const SHOWN_TEST_IMAGES = 60;

/**
 * A canvas showing `values` (rows × cols, row by row) scaled up: grey 0..max, or the
 * diverging scale around 0 (weights).
 * @param {number[]} values
 * @param {number[]} shape
 * @param {{signedScale?: boolean, max?: number, px?: number}} options
 */
function imageCanvas(values, [rows, cols], { signedScale = false, max = 1, px = 4 } = {}) {
  const canvas = el("canvas", { width: String(cols), height: String(rows) });
  canvas.style.width = `${cols * px}px`;
  canvas.style.height = `${rows * px}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  const img = ctx.createImageData(cols, rows);
  const top = signedScale ? Math.max(1e-9, ...values.map(Math.abs)) : max;
  values.forEach((v, i) => {
    const c = signedScale ? d3.rgb(signed(v, top)) : d3.rgb(255 - Math.round((255 * Math.min(v, max)) / max), 255 - Math.round((255 * Math.min(v, max)) / max), 255 - Math.round((255 * Math.min(v, max)) / max));
    img.data.set([c.r, c.g, c.b, 255], i * 4);
  });
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export function mountImages(store, actions, root) {
  const title = el("h2", { class: "panel-title", i18n: ["own.predictions", "Test predictions"] });
  const note = el("p", { class: "hint", "data-role": "images-note" });
  const input = el("div", { class: "img-input", "data-view": "input-image" });
  const weights = el("div", { class: "img-grid", "data-view": "weight-images" });
  const tests = el("div", { class: "img-grid", "data-view": "test-predictions" });
  const matrix = el("div", { class: "confusion", "data-view": "confusion" });
  const imageBlock = el("div", {},
    el("h3", { class: "panel-h3", i18n: ["own.inputImage", "Input a⁰ as an image"] }), input,
    el("h3", { class: "panel-h3", i18n: ["own.weightImages", "First-layer weights W¹[j] as images"] }), weights,
    el("h3", { class: "panel-h3", i18n: ["own.testImages", "Test images: the network's guess (wrong ones marked)"] }), tests);
  root.append(title, note, imageBlock,
    el("h3", { class: "panel-h3", i18n: ["own.confusion", "Confusion matrix (test set)"] }), matrix);

  const tableOf = () => {
    const { table, session, spec } = store.state;
    return table && session && spec?.dataset?.name === table.name && table.columns.length === session.dataset.input_dim ? table : null;
  };

  let askedAt = -Infinity;
  let askedFor = "";
  function maybeFetch() {
    const { session, predictions, playing } = store.state;
    if (!tableOf() || !session?.dataset?.n_test || session.dataset.kind !== "classification") return;
    if (predictions?.id === session.id && predictions.step === session.step) return;
    const key = `${session.id}:${session.step}`;
    if (key === askedFor || (playing && performance.now() - askedAt < REFRESH_MS)) return;
    askedFor = key;
    askedAt = performance.now();
    actions.fetchPredictions();
  }

  const inputChanged = changes();
  const weightsChanged = changes();
  const predictionsChanged = changes();
  function render() {
    const table = tableOf();
    const { session, forward, predictions } = store.state;
    root.hidden = !table || table.classes.length === 0;
    if (root.hidden || !session) return;
    const shape = table.image;
    root.toggleAttribute("data-image", !!shape);
    imageBlock.hidden = !shape;
    note.textContent = shape ? "" : t("own.noImages", "These inputs are not pixels: no images to draw.");
    if (shape && forward?.x_raw && inputChanged(forward.x_raw, getLanguage())) {
      input.replaceChildren(imageCanvas(forward.x_raw[0], shape, { px: 10, max: Math.max(1, ...forward.x_raw[0]) }));
    }
    const W1 = session.network.weights?.[0];
    if (shape && W1 && weightsChanged(W1)) {
      weights.replaceChildren(...W1.map((row, j) => {
        const cell = el("figure", { "data-neuron": String(j) }, imageCanvas(row, shape, { signedScale: true, px: 5 }), el("figcaption", { text: String(j + 1) }));
        return cell;
      }));
    }
    if (predictions?.id === session.id && predictionsChanged(predictions, getLanguage())) {
      const k = table.classes.length;
      const counts = confusion(predictions.truth, predictions.predicted, k);
      const right = predictions.truth.filter((c, i) => c === predictions.predicted[i]).length;
      const head = el("tr", {}, el("th", { text: t("own.trueVsPredicted", "true ↓ · guess →") }), ...table.classes.map((c) => el("th", { text: c })));
      const rows = counts.map((row, i) => el("tr", {}, el("th", { text: table.classes[i] }),
        ...row.map((n, j) => el("td", { class: n ? (i === j ? "is-right" : "is-wrong") : null, "data-cell": `${i}:${j}`, text: String(n) }))));
      matrix.replaceChildren(
        el("p", { class: "hint", "data-role": "test-accuracy", "data-value": String(right / predictions.truth.length),
          text: t("own.accuracy", "step {step}: {right} of {n} test rows right", { step: predictions.step, right, n: predictions.truth.length }) }),
        el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
      if (shape) {
        const testX = session.dataset.test_x;
        tests.replaceChildren(...testX.slice(0, SHOWN_TEST_IMAGES).map((x, i) => {
          const wrong = predictions.predicted[i] !== predictions.truth[i];
          return el("figure", { class: wrong ? "is-wrong" : null, "data-wrong": String(wrong) },
            imageCanvas(x, shape, { px: 4, max: Math.max(1, ...x) }), el("figcaption", { text: table.classes[predictions.predicted[i]] }));
        }));
      }
    }
  }
  store.on(["session", "forward", "predictions", "table", "playing"], () => { maybeFetch(); render(); });
  onLanguageChange(render);
  root.hidden = true;
}
