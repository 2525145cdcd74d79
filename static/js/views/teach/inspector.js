// Inspector: the selected neuron or weight worked out as on a board, symbolic →
// substituted → numeric, for the selected sample. Neuron: z, a, σ'(z) and δ by its
// recurrence (the loss-derivative form at the output). Weight: w, ∂C/∂w = δ_j·a_k,
// the API's central-difference estimate beside it, the update the optimiser would
// apply, and an input to edit w. Numbers: POST /backward, /gradcheck (this sample)
// and /backward {} (the next minibatch) of the current session.

import { t } from "../../i18n.js";
import { el } from "../../dom.js";
import { biasName, weightName } from "../../format.js";
import { byName } from "../../spec.js";
import { inputLabels } from "../network-values.js";
import {
  DERIVATIVES, LOSS_GRADIENTS, exact, renderTex, shownIndices, sum, texFactor, texNum, textNum,
} from "./math.js";
import { noteEl, sampleCaption, stalePlaying, targetRow, updateOf } from "./common.js";

const MAX_TERMS = 4; // terms of a substituted sum before it is shortened with ⋯
const PER_LINE = 2;  // terms per line of a substituted sum

export function mountInspector(ctx, body) {
  const { store, actions } = ctx;
  const root = el("div", { class: "teach-inspector", "data-teach": "inspector" });
  body.append(root);
  // answers of the weight's extra requests, for one session object and sample
  let extra = { key: null, check: null, preview: null, pending: false };

  function math(line, latex) {
    return renderTex(el("div", { class: "teach-math", "data-line": line }), latex, { display: true });
  }

  function aligned(lhs, steps) {
    return `\\begin{aligned}${lhs} ${steps.map((s) => `&= ${s}`).join(" \\\\ ")}\\end{aligned}`;
  }

  /** A sum of product terms, shortened when long, broken over lines of PER_LINE terms. */
  function sumLines(terms, tail = null) {
    const idx = shownIndices(terms.length, MAX_TERMS);
    const parts = idx.map((i) => (i === null ? "\\cdots" : terms[i]));
    if (tail !== null) parts.push(tail);
    const lines = [];
    for (let i = 0; i < parts.length; i += PER_LINE) lines.push(parts.slice(i, i + PER_LINE).join(" + "));
    return lines;
  }

  function section(title, ...children) {
    return el("section", { class: "teach-section" }, el("h3", { class: "teach-h", text: title }), ...children);
  }

  /** An input and Apply button that set one parameter (PATCH /parameter) to the typed value. */
  function parameterEditor(kind, current, edit, labelText, ariaLabel) {
    // shown rounded to 6 significant digits (the full value is in data-value); applying the
    // untouched field changes nothing, so a rounded copy never replaces the weight
    const shown = Number(current.toPrecision(6));
    const input = el("input", { type: "number", step: "any", value: String(shown), "data-value": exact(current), "data-teach-input": kind, "aria-label": ariaLabel });
    const apply = () => {
      const v = Number(input.value);
      if (input.value.trim() === "" || !Number.isFinite(v) || v === shown || v === current) return;
      actions.editParameter({ ...edit, value: v });
    };
    input.addEventListener("keydown", (e) => { if (e.key === "Enter") apply(); });
    return el("div", { class: "teach-edit" },
      el("label", { class: "teach-edit-label" }, el("span", { text: labelText }), input),
      el("button", { type: "button", class: "btn btn-small", "data-teach-action": `set-${kind}`, onclick: apply, text: t("teach.inspector.apply", "Apply") }));
  }

  // --- a neuron ----------------------------------------------------------------------------

  function renderNode(sel, state, trace) {
    const net = state.session.network;
    const { layer: l, index: j } = sel;
    const L = net.layers.length - 1;
    const f = state.forward;
    const parts = [];
    if (l === 0) {
      const label = inputLabels(state)[j] ?? `x${j + 1}`;
      const x = trace?.x?.[0]?.[j] ?? f?.x?.[0]?.[j];
      root.dataset.a = exact(x);
      parts.push(section(t("teach.inspector.input", "Input"),
        math("a", `a^0_{${j}} = x_{${j}} = ${texNum(x)}`),
        el("p", { class: "hint", text: t("teach.inspector.inputNote", "Input neuron {label}: its value is the sample's feature; it has no z and no δ.", { label }) })));
      return parts;
    }
    const layer = trace?.layers?.[l - 1] ?? f?.layers?.[l - 1];
    if (!layer) return [noteEl(t("teach.inspector.loading", "Computing the selected sample's trace…"))];
    const act = net.activations[l - 1];
    const z = layer.z[0][j];
    const a = layer.a[0][j];
    const aPrev = l === 1 ? (trace?.x ?? f.x)[0] : (trace ?? f).layers[l - 2].a[0];
    const W = net.weights[l - 1];
    const b = net.biases?.[l - 1];
    const deriv = DERIVATIVES[act];
    const sp = deriv ? deriv.value(z, a) : null;
    Object.assign(root.dataset, { z: exact(z), a: exact(a), sigmaPrime: exact(sp) });

    // forward: z = Σ_k W_jk a_k + b_j, a = σ(z), σ'(z)
    const terms = W[j].map((w, k) => `${texFactor(w)} \\cdot ${texFactor(aPrev[k])}`);
    const zLines = sumLines(terms, b ? texFactor(b[j]) : null);
    const zSym = `\\sum_k W^{${l}}_{${j}k}\\, a^{${l - 1}}_k${b ? ` + b^{${l}}_{${j}}` : ""}`;
    // continuation lines belong to the substituted step, not new equalities
    const zTex = `\\begin{aligned}z^{${l}}_{${j}} &= ${zSym} \\\\ &= ${zLines[0]}${zLines.slice(1).map((x) => ` \\\\ &\\quad + ${x}`).join("")} \\\\ &= ${texNum(z)}\\end{aligned}`;
    const formula = byName(state.catalog?.activations, act)?.formula ?? act;
    const forward = [
      math("z", zTex),
      math("a", act === "softmax"
        ? `a^{${l}}_{${j}} = \\operatorname{softmax}(z^{${l}})_{${j}} = \\frac{e^{z^{${l}}_{${j}}}}{\\sum_k e^{z^{${l}}_k}} = ${texNum(a)}`
        : `a^{${l}}_{${j}} = \\sigma_{${l}}(z^{${l}}_{${j}}) = \\left.${formula}\\right|_{z = ${texNum(z)}} = ${texNum(a)}`),
    ];
    if (deriv) {
      forward.push(math("sigma-prime", aligned(`\\sigma_{${l}}'(z^{${l}}_{${j}})`, [deriv.symbolic, deriv.substituted(z, a), texNum(sp)])));
    } else {
      forward.push(el("p", { class: "hint", text: t("teach.inspector.softmaxNote", "softmax is not element-wise: δ uses its Jacobian ∂a_i/∂z_j = a_i(δ_ij − a_j).") }));
    }
    parts.push(section(t("teach.inspector.forward", "Forward"), ...forward));
    if (b) {
      root.dataset.b = exact(b[j]);
      parts.push(section(t("teach.inspector.bias", "Bias"),
        math("b", `b^{${l}}_{${j}} = ${texNum(b[j], 6)}`),
        parameterEditor("bias", b[j], { layer: l, kind: "bias", row: j },
          t("teach.inspector.setB", "set b ="), t("teach.inspector.editBiasLabel", "New value of {name}", { name: biasName(l, j) }))));
    }

    // backward: δ by its recurrence, or from the loss at the output
    if (!trace) {
      parts.push(section(t("teach.inspector.backward", "Backward"), noteEl(stalePlaying(state)
        ? t("teach.inspector.playing", "Training is running: δ is shown when it pauses.")
        : t("teach.inspector.loading", "Computing the selected sample's trace…"))));
      return parts;
    }
    const delta = trace.layers[l - 1].delta[0][j];
    root.dataset.delta = exact(delta);
    const back = [];
    if (l === L) back.push(...outputDelta(state, trace, j, act, a, z, sp, delta, net.loss));
    else back.push(...hiddenDelta(state, trace, l, j, act, a, sp, delta));
    back.push(math("grad-bias", `\\frac{\\partial C}{\\partial b^{${l}}_{${j}}} = \\delta^{${l}}_{${j}} = ${texNum(delta)}`));
    parts.push(section(t("teach.inspector.backward", "Backward"), ...back));
    return parts;
  }

  function hiddenDelta(state, trace, l, j, act, a, sp, delta) {
    const Wn = state.session.network.weights[l]; // W^{l+1}: n_{l+1} × n_l
    const dn = trace.layers[l].delta[0];         // δ^{l+1}
    const g = sum(Wn.map((row, k) => row[j] * dn[k]));
    root.dataset.backSum = exact(g);
    const terms = Wn.map((row, k) => `${texFactor(row[j])} \\cdot ${texFactor(dn[k])}`);
    const lines = sumLines(terms);
    const up = l + 1;
    if (!DERIVATIVES[act]) {
      // softmax in a hidden layer: δ_j = a_j (g_j − Σ_i a_i g_i) with g = (W^{l+1})ᵀ δ^{l+1}
      return [math("delta", aligned(`\\delta^{${l}}_{${j}}`, [
        `a^{${l}}_{${j}}\\Big(g_{${j}} - \\sum_i a^{${l}}_i g_i\\Big),\\; g = (W^{${up}})^{\\top}\\delta^{${up}}`,
        texNum(delta)]))];
    }
    const sumTex = lines.length === 1 ? `\\big(${lines[0]}\\big)`
      : `\\big(${lines[0]}${lines.slice(1).map((x) => ` \\\\ &\\qquad + ${x}`).join("")}\\big)`;
    const tex = `\\begin{aligned}\\delta^{${l}}_{${j}} &= \\Big(\\sum_k W^{${up}}_{k${j}}\\,\\delta^{${up}}_k\\Big)\\,\\sigma_{${l}}'(z^{${l}}_{${j}}) \\\\ &= ${sumTex} \\cdot ${texFactor(sp)} \\\\ &= ${texFactor(g)} \\cdot ${texFactor(sp)} \\\\ &= ${texNum(delta)}\\end{aligned}`;
    const out = [math("delta", tex)];
    if (Wn.length > MAX_TERMS) {
      out.push(el("p", { class: "hint", text: t("teach.inspector.terms", "The sum has {n} terms, one per neuron of layer {l}; ⋯ stands for those not written out.", { n: Wn.length, l: up }) }));
    }
    return out;
  }

  function outputDelta(state, trace, j, act, a, z, sp, delta, loss) {
    const L = state.session.network.layers.length - 1;
    const y = targetRow(state)?.[j];
    const lg = LOSS_GRADIENTS[loss];
    const out = [];
    if (!lg || y === undefined) return [math("delta", `\\delta^{${L}}_{${j}} = ${texNum(delta)}`)];
    const gj = lg.value(a, y);
    root.dataset.lossGrad = exact(gj);
    out.push(math("loss-grad", aligned(`\\frac{\\partial C}{\\partial a^{${L}}_{${j}}}`,
      [lg.symbolic.replaceAll("a^L_j", `a^{${L}}_{${j}}`).replaceAll("y_j", `y_{${j}}`), lg.substituted(a, y), texNum(gj)].filter((s, i) => i < 2 || Number.isFinite(gj)))));
    if (DERIVATIVES[act]) {
      const steps = [`\\frac{\\partial C}{\\partial a^{${L}}_{${j}}}\\;\\sigma_{${L}}'(z^{${L}}_{${j}})`];
      if (Number.isFinite(gj)) steps.push(`${texFactor(gj)} \\cdot ${texFactor(sp)}`);
      steps.push(texNum(delta));
      out.push(math("delta", aligned(`\\delta^{${L}}_{${j}}`, steps)));
      if (loss === "bce" && act === "sigmoid") {
        out.push(math("delta-simplified", `\\delta^{${L}}_{${j}} = a^{${L}}_{${j}} - y_{${j}} = ${texNum(a)} - ${texFactor(y)} = ${texNum(delta)}`));
        out.push(el("p", { class: "hint", text: t("teach.inspector.bceNote", "With a sigmoid output and cross-entropy the σ' cancels: δ = a − y.") }));
      }
    } else {
      // softmax output: δ^L = J_σᵀ ∇_a C, δ_j = a_j (g_j − Σ_i a_i g_i)
      const aL = trace.layers[L - 1].a[0];
      const yRow = targetRow(state);
      const g = aL.map((ai, i) => lg.value(ai, yRow[i]));
      const s = sum(aL.map((ai, i) => ai * g[i]));
      const steps = [`a^{${L}}_{${j}}\\Big(\\frac{\\partial C}{\\partial a^{${L}}_{${j}}} - \\sum_i a^{${L}}_i \\frac{\\partial C}{\\partial a^{${L}}_i}\\Big)`];
      if (Number.isFinite(s)) steps.push(`${texFactor(a)}\\,\\big(${texFactor(gj)} - ${texFactor(s)}\\big)`);
      steps.push(texNum(delta));
      out.push(math("delta", aligned(`\\delta^{${L}}_{${j}}`, steps)));
      if (loss === "cross_entropy") {
        out.push(math("delta-simplified", `\\delta^{${L}}_{${j}} = a^{${L}}_{${j}} - y_{${j}} = ${texNum(a)} - ${texFactor(y)} = ${texNum(delta)}`));
      }
    }
    out.unshift(el("p", { class: "hint", text: t("teach.inspector.outputNote", "Output layer: δ starts from the loss ({loss}); target y = {y}.", { loss, y: textNum(y) }) }));
    return out;
  }

  // --- a weight ----------------------------------------------------------------------------

  function extraKey(state) {
    return state.session && `${state.sample.split}:${state.sample.index}`;
  }

  /** The weight's central-difference check (this sample) and the next minibatch's preview. */
  function fetchExtra(state) {
    const key = extraKey(state);
    const session = state.session;
    if (extra.session === session && extra.key === key) return;
    extra = { session, key, check: null, preview: null, pending: true };
    if (state.playing) return;
    const n = state.session.network;
    const params = n.layers.slice(1).reduce((acc, width, i) => acc + width * n.layers[i] + (n.bias === false ? 0 : width), 0);
    const limit = state.catalog?.limits?.max_gradcheck_params ?? Infinity;
    const mine = extra;
    const checkCall = params <= limit
      ? actions.gradcheck({ indices: [state.sample.index], split: state.sample.split })
      : Promise.resolve({ tooMany: limit });
    Promise.all([checkCall, actions.previewStep()]).then(([check, preview]) => {
      if (extra !== mine) return;
      extra.check = check?.tooMany ? check : check?.session === store.state.session ? check.answer : null;
      extra.preview = preview?.session === store.state.session ? preview.answer : null;
      extra.pending = false;
      ctx.isActive("inspector") && render();
    });
  }

  function renderEdge(sel, state, trace) {
    const net = state.session.network;
    const { layer: l, row: j, column: k } = sel;
    const w = net.weights[l - 1][j][k];
    root.dataset.w = exact(w);
    const parts = [];
    parts.push(section(t("teach.inspector.weight", "Weight"),
      math("w", `w = W^{${l}}_{${j}${k}} = ${texNum(w, 6)}`),
      parameterEditor("weight", w, { layer: l, kind: "weight", row: j, column: k },
        t("teach.inspector.setW", "set w ="), t("teach.inspector.editLabel", "New value of {name}", { name: weightName(l, j, k) }))));

    if (!trace) {
      parts.push(noteEl(stalePlaying(state)
        ? t("teach.inspector.playing", "Training is running: δ is shown when it pauses.")
        : t("teach.inspector.loading", "Computing the selected sample's trace…")));
      return parts;
    }
    const delta = trace.layers[l - 1].delta[0][j];
    const aPrev = l === 1 ? trace.x[0][k] : trace.layers[l - 2].a[0][k];
    const grad = trace.layers[l - 1].grad_weights[j][k];
    root.dataset.grad = exact(grad);
    const gradSection = [math("grad", aligned(`\\frac{\\partial C}{\\partial w}`, [
      `\\delta^{${l}}_{${j}}\\; a^{${l - 1}}_{${k}}`, `${texFactor(delta)} \\cdot ${texFactor(aPrev)}`, texNum(grad)]))];

    fetchExtra(state);
    const check = extra.check;
    if (check?.tooMany) {
      gradSection.push(noteEl(t("teach.inspector.tooMany", "The network has more parameters than the numeric check allows ({limit}).", { limit: check.tooMany })));
    } else if (check) {
      const lc = check.layers[l - 1];
      const num = lc.numeric_weights[j][k];
      const bp = lc.backprop_weights[j][k];
      const rel = Math.abs(bp - num) / Math.max(Math.abs(bp), Math.abs(num), 1e-10);
      Object.assign(root.dataset, { numeric: exact(num), relError: exact(rel) });
      const h = check.step;
      gradSection.push(el("div", { class: "teach-beside" },
        el("p", { class: "teach-h2", text: t("teach.inspector.numeric", "Central difference (the API, h = {h})", { h: textNum(h) }) }),
        math("numeric", `\\begin{aligned}\\frac{\\partial C}{\\partial w} &\\approx \\tfrac{1}{12h}\\big[C(w-2h) - 8\\,C(w-h) \\\\ &\\qquad + 8\\,C(w+h) - C(w+2h)\\big] \\\\ &= ${texNum(num, 6)}\\end{aligned}`),
        el("p", { class: `teach-verdict ${rel <= check.threshold ? "is-pass" : "is-fail"}`, "data-teach-verdict": rel <= check.threshold ? "pass" : "fail",
          text: t("teach.inspector.relError", "relative error {e} ({verdict})", { e: textNum(rel, 2), verdict: rel <= check.threshold ? t("teach.agree", "they agree") : t("teach.disagree", "they disagree") }) })));
    } else if (extra.pending && !state.playing) {
      gradSection.push(noteEl(t("teach.inspector.checking", "Asking the API for the central difference…")));
    }
    parts.push(section(t("teach.inspector.gradient", "Gradient for this sample"), ...gradSection));

    // the update: for this sample alone, and for the next Step's minibatch
    const upd = [];
    const eta = state.session.training?.learning_rate;
    const own = updateOf(state.session, trace, l, j, k);
    if (own) {
      root.dataset.update = exact(own.value);
      const steps = own.source === "server" ? [texNum(own.value)] : [`-\\eta\\,\\frac{\\partial C}{\\partial w}`, `-${texFactor(eta)} \\cdot ${texFactor(grad)}`, texNum(own.value)];
      upd.push(el("p", { class: "teach-h2", text: t("teach.inspector.thisSample", "For this sample alone (a batch of 1)") }));
      upd.push(math("update", aligned(`\\Delta w`, steps)));
      upd.push(el("p", { class: "hint", text: own.source === "server"
        ? t("teach.inspector.updateServer", "What the session's {opt} would apply for a batch of this one sample (from the API).", { opt: state.session.training.optimizer })
        : own.note }));
    } else {
      upd.push(noteEl(t("teach.inspector.noUpdate", "The server does not report the {opt} update before a step; press Step and set the edges to Δw.", { opt: state.session.training?.optimizer })));
    }
    const preview = extra.preview;
    if (preview) {
      const next = updateOf(state.session, preview, l, j, k);
      if (next) {
        root.dataset.nextUpdate = exact(next.value);
        const idx = preview.indices ?? [];
        upd.push(el("p", { class: "teach-h2", text: t("teach.inspector.nextStep", "Next Step (minibatch of {b}: train #{first}…)", { b: idx.length, first: idx[0] ?? "?" }) }));
        upd.push(math("next-update", `\\Delta w = ${next.source === "server" ? "" : `-${texFactor(eta)} \\cdot ${texFactor(preview.layers[l - 1].grad_weights[j][k])} = `}${texNum(next.value)}`));
      }
    }
    parts.push(section(t("teach.inspector.update", "Update"), ...upd));
    return parts;
  }

  // --- drawing -----------------------------------------------------------------------------

  function render() {
    const state = store.state;
    const sel = state.selection;
    for (const key of Object.keys(root.dataset)) if (key !== "teach") delete root.dataset[key];
    if (!sel || !state.session) {
      root.replaceChildren();
      return;
    }
    ctx.ensureTrace();
    const trace = ctx.trace();
    root.dataset.kind = sel.kind;
    root.dataset.fresh = String(!!trace);
    const parts = sel.kind === "node" ? renderNode(sel, state, trace) : renderEdge(sel, state, trace);
    root.replaceChildren(sampleCaption(state), ...parts);
  }

  return {
    keys: ["selection", "session", "forward", "backward", "sample", "playing", "catalog"],
    render,
  };
}
