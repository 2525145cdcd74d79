// Own data, below the dataset picker: clear and draw, the bundled real datasets, a pasted
// or uploaded CSV/TSV table with its preview, and (more than two inputs) the two features
// the data plot shows.

import { el, field, setOptions } from "../dom.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";
import { changes } from "../frame.js";
import { featureNames, planeOf } from "../own-data.js";

const PREVIEW_ROWS = 5;

export function mountOwnData(store, actions, root) {
  const button = (action, key, english, onclick) =>
    el("button", { type: "button", class: "btn btn-small", "data-action": action, i18n: [key, english], onclick });
  const buttons = el("div", { class: "own-buttons" },
    button("clear-data", "own.clear", "Clear & draw", () => actions.clearData()),
    button("dataset-iris", "own.iris", "Iris", () => actions.loadBundled("iris")),
    button("dataset-digits", "own.digits", "Digits 8×8", () => actions.loadBundled("digits")));

  // what a click on the plot adds
  const drawClass = el("select", { "data-control": "draw-label", "i18n-aria-label": ["own.drawLabel", "Draw"] });
  drawClass.addEventListener("change", () => actions.setDrawLabel(Number(drawClass.value)));
  const drawRow = field(["own.drawLabel", "Draw"], drawClass);

  // two features for the plot when there are more than two
  const planeX = el("select", { "data-control": "plane-x", "i18n-aria-label": ["own.planeX", "Horizontal feature"] });
  const planeY = el("select", { "data-control": "plane-y", "i18n-aria-label": ["own.planeY", "Vertical feature"] });
  const setPlane = () => actions.setPlane(Number(planeX.value), Number(planeY.value));
  planeX.addEventListener("change", setPlane);
  planeY.addEventListener("change", setPlane);
  const planeRow = field(["own.plane", "Plot features"], planeX, planeY);
  planeRow.classList.add("own-plane"); // long column names: the two selects may wrap

  // paste or upload
  const text = el("textarea", { "data-control": "table-text", rows: "4", spellcheck: "false",
    "i18n-placeholder": ["own.pastePlaceholder", "Paste CSV or TSV: one row per line, a header row optional"] });
  const file = el("input", { type: "file", accept: ".csv,.tsv,.txt,text/csv,text/tab-separated-values", "data-control": "table-file" });
  const target = el("select", { "data-control": "table-target", "i18n-aria-label": ["own.target", "Target column"] });
  const error = el("p", { class: "own-error", "data-role": "table-error", role: "alert" });
  const preview = el("div", { class: "own-preview", "data-view": "table-preview" });
  const use = button("table-use", "own.use", "Use this data", () => { if (parsed) actions.useTable(parsed); });
  use.disabled = true;
  const previewBtn = button("table-preview", "own.preview", "Preview", () => parse(target.value || null));
  const paste = el("details", { class: "own-paste" },
    el("summary", { i18n: ["own.paste", "Paste or upload a table"] }),
    text, file, field(["own.target", "Target column"], target), el("div", { class: "own-buttons" }, previewBtn, use),
    error, preview);
  root.append(buttons, drawRow, planeRow, paste);

  /** @type {any} */
  let parsed = null;
  file.addEventListener("change", async () => {
    const f = file.files?.[0];
    if (!f) return;
    text.value = await f.text();
    parse(null);
  });
  text.addEventListener("input", () => { parsed = null; use.disabled = true; });

  /** @param {string | null} column */
  async function parse(column) {
    error.textContent = "";
    try {
      parsed = await actions.parseTable(text.value, { target: column });
    } catch (err) {
      parsed = null;
      error.textContent = /** @type {Error} */ (err).message;
    }
    use.disabled = !parsed;
    renderPreview();
  }

  function renderPreview() {
    preview.replaceChildren();
    if (!parsed) { setOptions(target, []); return; }
    const names = [...parsed.columns];
    names.splice(names.length, 0, parsed.target);
    setOptions(target, [...parsed.columns, parsed.target].map((c) => ({ value: c, label: c })));
    target.value = parsed.target;
    const head = el("tr", {}, ...names.map((c, i) => el("th", { class: i === names.length - 1 ? "is-target" : null, text: c })));
    const rows = parsed.preview.slice(0, PREVIEW_ROWS).map((r) => el("tr", {}, ...r.map((v) => el("td", { text: String(v) }))));
    const what = parsed.kind === "classification"
      ? t("own.summaryClasses", "{n} rows · {d} features · {k} classes: {classes}", { n: parsed.n_rows, d: parsed.columns.length, k: parsed.classes.length, classes: parsed.classes.join(", ") })
      : t("own.summaryRegression", "{n} rows · {d} features · a number to fit", { n: parsed.n_rows, d: parsed.columns.length });
    preview.append(el("p", { class: "hint", "data-role": "table-summary", text: what }), el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows)));
  }
  target.addEventListener("change", () => parse(target.value));

  const controlsChanged = changes();
  function render() {
    const { session, table, plane, drawLabel } = store.state;
    const d = session?.dataset;
    if (!d || !controlsChanged(d, table, plane, drawLabel, getLanguage())) return;
    drawRow.style.display = d.input_dim === 2 ? "" : "none";
    if (d.kind === "classification") {
      setOptions(drawClass, [1, 0].map((c) => ({ value: String(c), label: t("plot.class", "class {label}", { label: c }) })));
    } else {
      setOptions(drawClass, [1, 0.5, 0, -0.5, -1].map((v) => ({ value: String(v), label: t("own.drawTarget", "target {value}", { value: v }) })));
    }
    drawClass.value = String(drawLabel);
    planeRow.style.display = d.input_dim > 2 ? "" : "none";
    if (d.input_dim > 2) {
      const items = featureNames(table, d.input_dim).map((n, i) => ({ value: String(i), label: n }));
      const [fx, fy] = planeOf({ plane, session });
      setOptions(planeX, items);
      setOptions(planeY, items);
      planeX.value = String(fx);
      planeY.value = String(fy);
    }
  }
  store.on(["session", "table", "plane", "drawLabel"], render);
  onLanguageChange(() => { render(); renderPreview(); });
}
