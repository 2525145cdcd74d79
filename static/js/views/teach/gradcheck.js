// Gradient check: per layer, backprop's ∂C/∂W beside the central-difference
// estimate (POST /gradcheck for the selected sample), the relative error on a log
// scale with the threshold, and pass/fail. A control drops σ_l' from backprop in a
// chosen layer so a class can see what a wrong gradient looks like.

import { t } from "../../i18n.js";
import { el } from "../../dom.js";
import { exact, sup, textNum } from "./math.js";
import { noteEl, sampleCaption } from "./common.js";

const BAR_W = 48;
const ERR_MIN = 1e-16;

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

  /** A bar of the relative error on a log axis from 1e-16 to 1, with the threshold marked. */
  function errorBar(err, threshold) {
    const pos = (v) => (BAR_W * (Math.log10(Math.max(v, ERR_MIN)) - Math.log10(ERR_MIN))) / -Math.log10(ERR_MIN);
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
    const verdict = el("div", { class: `teach-badge ${r.passed ? "is-pass" : "is-fail"}`, "data-teach-verdict": r.passed ? "pass" : "fail" },
      el("strong", { text: r.passed ? t("teach.gradcheck.pass", "PASS") : t("teach.gradcheck.fail", "FAIL") }),
      el("span", { text: t("teach.gradcheck.summary", "largest relative error {e} {cmp} threshold {th}", {
        e: textNum(r.max_relative_error, 2), cmp: r.passed ? "≤" : ">", th: textNum(r.threshold, 2) }) }));

    const head = el("tr", {}, ...[
      t("teach.gradcheck.layer", "l"), t("teach.gradcheck.entry", "weight"),
      t("teach.gradcheck.backprop", "backprop"), t("teach.gradcheck.numeric", "numeric"),
      t("teach.gradcheck.relError", "rel. error"), "",
    ].map((h) => el("th", { text: h })));
    const rows = r.layers.map((lc) => {
      // the layer's weight with the largest |numeric| gradient, as the example shown
      let jj = 0, kk = 0, best = -1;
      lc.numeric_weights.forEach((row, j) => row.forEach((v, k) => { if (Math.abs(v) > best) { best = Math.abs(v); jj = j; kk = k; } }));
      const bp = lc.backprop_weights[jj][kk];
      const nu = lc.numeric_weights[jj][kk];
      const ok = lc.max_relative_error <= r.threshold;
      return el("tr", {
        class: ok ? "is-pass" : "is-fail", "data-layer": lc.layer, "data-row": jj, "data-column": kk,
        "data-backprop": exact(bp), "data-numeric": exact(nu), "data-rel-error": exact(lc.max_relative_error), "data-verdict": ok ? "pass" : "fail",
      },
      el("td", { text: String(lc.layer) }),
      el("td", { class: "mono", text: `W${sup(lc.layer)}[${jj}][${kk}]` }),
      el("td", { class: "num", "data-cell": "backprop", text: textNum(bp, 4) }),
      el("td", { class: "num", "data-cell": "numeric", text: textNum(nu, 4) }),
      el("td", { class: "num", "data-cell": "rel-error" }, errorBar(lc.max_relative_error, r.threshold), el("span", { text: textNum(lc.max_relative_error, 2) })),
      el("td", { class: "verdict", text: ok ? "✓" : "✗", "aria-label": ok ? t("teach.gradcheck.pass", "PASS") : t("teach.gradcheck.fail", "FAIL") }));
    });
    const table = el("table", { class: "teach-table" }, el("thead", {}, head), el("tbody", {}, ...rows));
    const notes = [el("p", { class: "hint", text: t("teach.gradcheck.how", "Numeric: [C(θ−2h) − 8C(θ−h) + 8C(θ+h) − C(θ+2h)] / 12h with h = {h}, for every weight and bias of this sample; a layer passes when every relative error |b − n| / max(|b|, |n|) is at most {th}. Each row shows the layer's weight with the largest gradient.", { h: textNum(r.step), th: textNum(r.threshold, 2) }) })];
    if (r.drop_derivative_layer !== null) {
      notes.unshift(el("p", { class: "teach-note is-warn", text: t("teach.gradcheck.dropped", "σ′ of layer {l} is left out of backprop on purpose: δ{sl} and every δ below it are wrong, so layers 1…{l} fail while the layers above still agree.", { l: r.drop_derivative_layer, sl: sup(r.drop_derivative_layer) }) }));
    }
    root.replaceChildren(sampleCaption(state), verdict, table, ...notes);
  }

  return { keys: ["session", "sample", "playing", "catalog"], render };
}
