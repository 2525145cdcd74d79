// Gradient check: per layer, the parameter that decides its verdict — its own backprop
// ∂C/∂θ, central-difference estimate (POST /gradcheck for the selected sample), error on
// a log scale against its own tolerance, and pass/fail — then the parameters that sit at
// a relu kink, where no difference quotient means anything. A control drops σ_l' from
// backprop in a chosen layer so a class can see what a wrong gradient looks like.

import { t } from "../../i18n.js";
import { el } from "../../dom.js";
import { biasName, weightName } from "../../format.js";
import { exact, sup, textNum } from "./math.js";
import { noteEl, sampleCaption } from "./common.js";

const BAR_W = 32;
const ERR_MIN = 1e-16;
const KINK_ROWS = 3; // kink parameters listed per layer; the rest are counted

/** "layer 2", "layers 1 and 2", "layers 1 to 3" for the layers l = 1 … n. */
function layersUpTo(n) {
  if (n === 1) return t("teach.gradcheck.layer1", "layer 1");
  if (n === 2) return t("teach.gradcheck.layers12", "layers 1 and 2");
  return t("teach.gradcheck.layersTo", "layers 1 to {n}", { n });
}

const paramName = (p) => (p.kind === "W" ? weightName(p.layer, p.row, p.column) : biasName(p.layer, p.row));

export function mountGradcheck(ctx, body) {
  const { store, actions } = ctx;
  let drop = null;         // layer whose σ' backprop leaves out, or null
  let result = null;       // {answer, session, key}
  let pending = null;      // key of the request in flight

  const dropSelect = el("select", { "data-teach-control": "drop-derivative" });
  dropSelect.addEventListener("change", () => {
    drop = dropSelect.value ? Number(dropSelect.value) : null;
    render();
  });
  const rerun = el("button", { type: "button", class: "btn btn-small", "data-teach-action": "gradcheck", onclick: () => { result = null; render(); } });
  const dropLabel = el("span", { class: "teach-label" });
  const root = el("div", { class: "teach-gradcheck", "data-teach": "gradcheck" });
  body.append(el("div", { class: "teach-row teach-controls" }, el("label", { class: "teach-inline" }, dropLabel, dropSelect), rerun), root);

  function keyOf(state) {
    return `${state.sample.split}:${state.sample.index}:${drop ?? "-"}`;
  }

  function paramCount(net) {
    return net.layers.slice(1).reduce((acc, n, i) => acc + n * net.layers[i] + (net.bias === false ? 0 : n), 0);
  }

  function request(state) {
    const key = keyOf(state);
    if (state.playing || (pending && pending.key === key && pending.session === state.session)) return;
    const mine = { key, session: state.session };
    pending = mine;
    actions.gradcheck({ indices: [state.sample.index], split: state.sample.split, drop_derivative_layer: drop })
      .then((r) => {
        if (pending === mine) pending = null;
        if (r) result = { ...r, key };
        if (ctx.isActive("gradcheck")) render();
      });
  }

  /** A bar of the relative error on a log axis from 1e-16 to 1, with the tolerance marked. */
  function errorBar(err, threshold) {
    const pos = (v) => Math.min(BAR_W, (BAR_W * (Math.log10(Math.max(v, ERR_MIN)) - Math.log10(ERR_MIN))) / -Math.log10(ERR_MIN));
    const svg = d3.create("svg").attr("class", "teach-errbar").attr("width", BAR_W).attr("height", 12).attr("aria-hidden", "true");
    svg.append("rect").attr("class", "track").attr("x", 0).attr("y", 3).attr("width", BAR_W).attr("height", 6).attr("rx", 3);
    svg.append("rect").attr("class", err <= threshold ? "fill is-pass" : "fill is-fail")
      .attr("x", 0).attr("y", 3).attr("width", Math.max(2, Math.min(BAR_W, pos(err)))).attr("height", 6).attr("rx", 3);
    svg.append("line").attr("class", "threshold").attr("x1", pos(threshold)).attr("x2", pos(threshold)).attr("y1", 0).attr("y2", 12);
    return svg.node();
  }

  function render() {
    const state = store.state;
    if (!state.session) return;
    const net = state.session.network;
    const L = net.layers.length - 1;
    if (drop !== null && drop > L) drop = null;
    dropLabel.textContent = t("teach.gradcheck.drop", "Break backprop: drop σ' of layer");
    rerun.textContent = t("teach.gradcheck.rerun", "Check again");
    const opts = [{ value: "", label: t("teach.gradcheck.none", "none (correct)") },
      ...Array.from({ length: L }, (_, i) => ({ value: String(i + 1), label: `l = ${i + 1}` }))];
    dropSelect.replaceChildren(...opts.map((o) => el("option", { value: o.value, text: o.label })));
    dropSelect.value = drop === null ? "" : String(drop);

    const limit = state.catalog?.limits?.max_gradcheck_params ?? Infinity;
    const n = paramCount(net);
    if (n > limit) {
      root.replaceChildren(noteEl(t("teach.gradcheck.tooMany", "This network has {n} parameters; the numeric check is limited to {limit}. Use a smaller network.", { n, limit })));
      return;
    }
    const fresh = result && result.session === state.session && result.key === keyOf(state);
    if (!fresh) request(state);
    const r = fresh ? result.answer : null;
    root.dataset.fresh = String(!!fresh);
    if (!r) {
      root.replaceChildren(sampleCaption(state), noteEl(state.playing
        ? t("teach.gradcheck.playing", "Training is running: the check runs when it pauses.")
        : t("teach.gradcheck.running", "Comparing backprop with central differences…")));
      return;
    }
    root.dataset.passed = String(r.passed);
    root.dataset.maxRelativeError = exact(r.max_relative_error);
    root.dataset.drop = r.drop_derivative_layer === null ? "" : String(r.drop_derivative_layer);
    const counts = r.counts ?? { pass: 0, fail: 0, kink: 0 };
    Object.assign(root.dataset, { pass: String(counts.pass), fail: String(counts.fail), kink: String(counts.kink) });
    const verdict = el("div", { class: `teach-badge ${r.passed ? "is-pass" : "is-fail"}`, "data-teach-verdict": r.passed ? "pass" : "fail" },
      el("strong", { text: r.passed ? t("teach.gradcheck.pass", "PASS") : t("teach.gradcheck.fail", "FAIL") }),
      el("span", { text: t("teach.gradcheck.counts", "{pass} agree, {fail} disagree, {kink} at a kink", counts) }));

    const head = el("tr", {}, ...[
      t("teach.gradcheck.entry", "parameter"),
      t("teach.gradcheck.backprop", "backprop"), t("teach.gradcheck.numeric", "numeric"),
      t("teach.gradcheck.relError", "rel. error"), t("teach.gradcheck.tolerance", "tol."), "",
    ].map((h) => el("th", { text: h })));
    const verdictText = { pass: "✓", fail: "✗", kink: "⋀" };
    const verdictLabel = (v) => (v === "kink" ? t("teach.gradcheck.kinkShort", "at a kink")
      : v === "pass" ? t("teach.gradcheck.pass", "PASS") : t("teach.gradcheck.fail", "FAIL"));
    /** One parameter's own numbers: backprop, numeric, error and tolerance all of `p`. */
    const row = (p, decides) => {
      const kink = p.verdict === "kink";
      const errorCell = kink
        ? el("td", { class: "num is-kink", "data-cell": "rel-error", colspan: "2", text: t("teach.gradcheck.kink", "at a kink — numeric difference not meaningful here") })
        : el("td", { class: "num", "data-cell": "rel-error" }, errorBar(p.error, p.tolerance), el("span", { text: textNum(p.error, 2) }));
      return el("tr", {
        class: `is-${p.verdict}`, "data-layer": p.layer, "data-kind": p.kind, "data-row": p.row, "data-column": p.column,
        "data-param": paramName(p), "data-decides": String(decides),
        "data-backprop": exact(p.backprop), "data-numeric": exact(p.numeric), "data-rel-error": exact(p.error),
        "data-tolerance": exact(p.tolerance), "data-verdict": p.verdict,
      },
      el("td", { class: "mono", text: paramName(p) }),
      el("td", { class: "num", "data-cell": "backprop", text: textNum(p.backprop, 4) }),
      el("td", { class: "num", "data-cell": "numeric", text: textNum(p.numeric, 4) }),
      errorCell,
      ...(kink ? [] : [el("td", { class: "num", "data-cell": "tolerance", text: textNum(p.tolerance, 2) })]),
      el("td", { class: "verdict", text: verdictText[p.verdict], "aria-label": verdictLabel(p.verdict) }));
    };
    const rows = [];
    for (const lc of r.layers) {
      const worst = lc.parameters[lc.worst];
      rows.push(row(worst, true));
      const kinks = lc.parameters.filter((p) => p.verdict === "kink" && p !== worst);
      rows.push(...kinks.slice(0, KINK_ROWS).map((p) => row(p, false)));
      if (kinks.length > KINK_ROWS) {
        rows.push(el("tr", { class: "is-kink-more" }, el("td", { colspan: "6", class: "hint",
          text: t("teach.gradcheck.moreKinks", "… and {n} more parameters of layer {l} at a kink", { n: kinks.length - KINK_ROWS, l: lc.layer }) })));
      }
    }
    const table = el("table", { class: "teach-table" }, el("thead", {}, head), el("tbody", {}, ...rows));
    const notes = [
      el("p", { class: "hint", "data-note": "rows", text: t("teach.gradcheck.rows", "Each layer's first row is the parameter that decides its verdict: the one with the largest error for its tolerance. Every number in a row belongs to that one parameter.") }),
      el("p", { class: "hint", "data-note": "how", text: t("teach.gradcheck.how", "Numeric: [C(θ−2h) − 8C(θ−h) + 8C(θ+h) − C(θ+2h)] / 12h with h = {h}, for every weight and bias of this sample. The error is |backprop − numeric| divided by the larger of the two (or by a thousandth of the largest gradient, if that is bigger). A parameter passes when its error is at most its tolerance: {th} — agreement to about six digits — plus what the step h itself can explain, from comparing with step 2h and from rounding.", { h: textNum(r.step), th: textNum(r.threshold, 2) }) }),
    ];
    if (counts.kink > 0) {
      notes.push(el("p", { class: "hint", "data-note": "kink", text: t("teach.gradcheck.kinkNote", "At a kink: a ReLU's z is within the step's reach of 0, where C bends sharply and has no derivative; the difference quotient averages two slopes, so it is shown but neither passes nor fails.") }));
    }
    if (r.drop_derivative_layer !== null) {
      const l = r.drop_derivative_layer;
      const args = { l, sl: sup(l), layers: layersUpTo(l) };
      let text;
      if (r.passed) {
        const allKinks = r.layers[l - 1].parameters.every((p) => p.verdict === "kink");
        text = l === L
          ? t("teach.gradcheck.droppedOutput", "σ′ of layer {l} is left out of backprop on purpose, yet every checked parameter agrees: for this loss δ{sl} = a − y has no σ′ in it to forget.", args)
          : allKinks
            ? t("teach.gradcheck.droppedAtKink", "σ′ of layer {l} is left out of backprop on purpose, but every parameter of layer {l} sits at a kink, where the check cannot judge it.", args)
            : t("teach.gradcheck.droppedNoEffect", "σ′ of layer {l} is left out of backprop on purpose, yet every checked parameter agrees: for this sample σ′ of layer {l} is 1 wherever it matters (a linear layer, or ReLUs that are all on), so leaving it out changes nothing.", args);
      } else {
        text = l === 1
          ? t("teach.gradcheck.droppedFirst", "σ′ of layer 1 is left out of backprop on purpose: δ¹ is wrong, so layer 1 fails.", args)
          : t("teach.gradcheck.dropped", "σ′ of layer {l} is left out of backprop on purpose: δ{sl} and every δ below it are wrong, so {layers} fail.", args);
        if (l < L) text += ` ${t("teach.gradcheck.above", "The layers above do not use σ′ of layer {l}: they still agree.", args)}`;
      }
      notes.unshift(el("p", { class: "teach-note is-warn", "data-note": "dropped", text }));
    }
    root.replaceChildren(sampleCaption(state), verdict, table, ...notes);
  }

  return { keys: ["session", "sample", "playing", "catalog"], render };
}
