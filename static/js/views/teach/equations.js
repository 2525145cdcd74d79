// Layer equations: for one layer l, the forward step z^l = W^l a^{l-1} + b^l and the
// δ recurrence δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ_l'(z^l) (at the output ∇_a C ⊙ σ'), and
// ∂C/∂W^l = δ^l (a^{l-1})ᵀ, with the actual matrices of the selected sample
// (POST /backward), truncated with ⋯ and ⋮ when a layer is wide.

import { t } from "../../i18n.js";
import { el } from "../../dom.js";
import { DERIVATIVES, LOSS_GRADIENTS, TEX_ACTIVATION, renderTex, sup, texColumn, texMatrix } from "./math.js";
import { noteEl, sampleCaption, targetRow } from "./common.js";

export function mountEquations(ctx, body) {
  const { store } = ctx;
  let chosen = null; // the layer picked here; otherwise the selection's layer, else L
  const root = el("div", { class: "teach-equations", "data-teach": "equations" });
  const picker = el("div", { class: "segmented teach-layer-picker", role: "group" });
  body.append(el("div", { class: "teach-row" }, el("span", { class: "teach-label", "data-role": "layer-label" }), picker), root);

  function layerOf(state) {
    const L = state.session.network.layers.length - 1;
    const sel = state.selection;
    if (chosen !== null && chosen <= L) return chosen;
    if (sel?.kind === "edge") return sel.layer;
    if (sel?.kind === "node" && sel.layer > 0) return sel.layer;
    return L;
  }

  function limits() {
    const w = body.clientWidth || 330;
    return { maxRows: 6, maxCols: w < 420 ? 4 : 6, digits: 3 };
  }

  /** lhs = rhs₁ rhs₂ …: on one line, and (when that is too wide) each further piece on a line of its own. */
  function eq(lhs, pieces) {
    return {
      wide: `${lhs} = ${pieces.join(" ")}`,
      narrow: `\\begin{aligned}${lhs} &= ${pieces[0]}${pieces.slice(1).map((p) => ` \\\\ &\\quad ${p}`).join("")}\\end{aligned}`,
    };
  }

  const narrowForms = new WeakMap(); // rendered block → its line-broken LaTeX

  /** A titled block: the symbolic equation, then the same with the actual matrices. */
  function block(name, title, symbolic, latex) {
    const sym = renderTex(el("div", { class: "teach-math", "data-eq-symbolic": name }), symbolic, { display: true });
    const wide = typeof latex === "string" ? latex : latex.wide;
    const m = renderTex(el("div", { class: "teach-math teach-matrix", "data-eq": name }), wide, { display: true });
    if (typeof latex !== "string") narrowForms.set(m, latex.narrow);
    return el("section", { class: "teach-section" }, el("h3", { class: "teach-h", text: title }), sym, m);
  }

  /** Blocks wider than the panel are drawn again with their lines broken. */
  function fit() {
    for (const m of root.querySelectorAll(".teach-matrix")) {
      const narrow = narrowForms.get(m);
      if (narrow && m.scrollWidth > m.clientWidth + 1) {
        renderTex(m, narrow, { display: true });
        m.dataset.broken = "true";
      }
    }
  }

  function render() {
    const state = store.state;
    if (!state.session) return;
    const net = state.session.network;
    const L = net.layers.length - 1;
    const l = layerOf(state);
    body.querySelector("[data-role=layer-label]").textContent = t("teach.equations.layer", "Layer");
    const buttons = Array.from({ length: L }, (_, i) => i + 1).map((i) => el("button", {
      type: "button", "data-teach-layer": i, "aria-pressed": String(i === l), text: String(i),
      onclick: () => { chosen = i; render(); },
    }));
    picker.replaceChildren(...buttons);
    picker.setAttribute("aria-label", t("teach.equations.pick", "Layer to show"));
    root.dataset.layer = String(l);

    ctx.ensureTrace();
    const trace = ctx.trace();
    const f = trace ?? state.forward;
    const opts = limits();
    const W = net.weights[l - 1];
    const b = net.biases?.[l - 1];
    const act = net.activations[l - 1];
    const parts = [sampleCaption(state)];
    const n = net.layers[l], m = net.layers[l - 1];
    parts.push(el("p", { class: "hint", text: t("teach.equations.shapes", "W{sl} is {n} × {m}: row j is neuron j of layer {l}, column k neuron k of layer {lp}.", { sl: sup(l), l, n, m, lp: l - 1 }) }));
    if (!f?.layers) {
      root.replaceChildren(...parts, noteEl(t("teach.inspector.loading", "Computing the selected sample's trace…")));
      return;
    }
    const aPrev = l === 1 ? f.x[0] : f.layers[l - 2].a[0];
    const z = f.layers[l - 1].z[0];
    const a = f.layers[l - 1].a[0];
    const fwd = eq(`\\underbrace{${texColumn(z, opts)}}_{z^{${l}}}`, [
      `\\underbrace{${texMatrix(W, opts)}}_{W^{${l}}}\\underbrace{${texColumn(aPrev, opts)}}_{a^{${l - 1}}}`,
      ...(b ? [`+ \\underbrace{${texColumn(b, opts)}}_{b^{${l}}}`] : [])]);
    parts.push(block("forward", t("teach.equations.forward", "Forward"), `z^{${l}} = W^{${l}} a^{${l - 1}}${b ? ` + b^{${l}}` : ""}`, fwd));
    // σ_l is this layer's activation: the formula names it (σ alone is the sigmoid)
    const name = TEX_ACTIVATION[act] ?? `\\operatorname{${act}}`;
    parts.push(block("activation", t("teach.equations.activation", "Activation ({act})", { act }), `a^{${l}} = \\sigma_{${l}}(z^{${l}}) = ${name}(z^{${l}})`,
      `\\underbrace{${texColumn(a, opts)}}_{a^{${l}}} = ${name}\\!\\left(${texColumn(z, opts)}\\right)`));

    if (!trace) {
      parts.push(noteEl(state.playing ? t("teach.inspector.playing", "Training is running: δ is shown when it pauses.")
        : t("teach.inspector.loading", "Computing the selected sample's trace…")));
      root.replaceChildren(...parts);
      return;
    }
    const delta = trace.layers[l - 1].delta[0];
    const deriv = DERIVATIVES[act];
    const sp = deriv ? z.map((zj, j) => deriv.value(zj, a[j])) : null;
    if (l < L) {
      const Wn = net.weights[l];
      const dn = trace.layers[l].delta[0];
      const WT = Wn[0].map((_, j) => Wn.map((row) => row[j]));
      // when too wide, δ^{l+1} goes on a line of its own, the product continuing there
      const rhsPieces = [`\\underbrace{${texMatrix(WT, opts)}}_{(W^{${l + 1}})^{\\top}}`, `\\underbrace{${texColumn(dn, opts)}}_{\\delta^{${l + 1}}}`];
      const rhs = rhsPieces.join("");
      const lhs = `\\underbrace{${texColumn(delta, opts)}}_{\\delta^{${l}}}`;
      const tex = sp
        ? eq(lhs, [...rhsPieces, `\\odot \\underbrace{${texColumn(sp, opts)}}_{\\sigma_{${l}}'(z^{${l}})}`])
        : eq(lhs, [`J_{\\sigma_{${l}}}^{\\top}\\, ${rhs}`]);
      const symbolic = sp ? `\\delta^{${l}} = (W^{${l + 1}})^{\\top} \\delta^{${l + 1}} \\odot \\sigma_{${l}}'(z^{${l}})`
        : `\\delta^{${l}} = J_{\\sigma_{${l}}}^{\\top} (W^{${l + 1}})^{\\top} \\delta^{${l + 1}}`;
      parts.push(block("backward", t("teach.equations.backward", "Backward (the δ recurrence)"), symbolic, tex));
    } else {
      const y = targetRow(state);
      const lg = LOSS_GRADIENTS[net.loss];
      if (lg && y) {
        const g = a.map((aj, j) => lg.value(aj, y[j]));
        const ga = `\\underbrace{${texColumn(g, opts)}}_{\\nabla_{a} C}`;
        const lhs = `\\underbrace{${texColumn(delta, opts)}}_{\\delta^{${L}}}`;
        const tex = sp
          ? eq(lhs, [ga, `\\odot \\underbrace{${texColumn(sp, opts)}}_{\\sigma_{${L}}'(z^{${L}})}`])
          : eq(lhs, [`J_{\\sigma_{${L}}}^{\\top}\\, ${ga}`, `J_{ij} = a_i(\\delta_{ij} - a_j)`]);
        const symbolic = sp ? `\\delta^{${L}} = \\nabla_{a} C \\odot \\sigma_{${L}}'(z^{${L}})` : `\\delta^{${L}} = J_{\\sigma_{${L}}}^{\\top} \\nabla_{a} C`;
        parts.push(block("backward", t("teach.equations.output", "Backward at the output (from the loss)"), symbolic, tex));
        parts.push(el("p", { class: "hint", text: t("teach.equations.target", "target y = ({y}), loss {loss}", { y: y.map((v) => String(Number(v.toPrecision(4)))).join(", "), loss: net.loss }) }));
      }
    }
    const G = trace.layers[l - 1].grad_weights;
    const gLhs = `\\underbrace{${texMatrix(G, opts)}}_{\\partial C / \\partial W^{${l}}}`;
    const gRhs = `${texColumn(delta, opts)}\\,${texMatrix([aPrev], opts)}`;
    parts.push(block("gradient", t("teach.equations.gradient", "Gradient of the weights"), `\\frac{\\partial C}{\\partial W^{${l}}} = \\delta^{${l}} (a^{${l - 1}})^{\\top}`,
      { wide: `${gLhs} = ${gRhs}`, narrow: `\\begin{aligned}&${gLhs} \\\\ &= ${gRhs}\\end{aligned}` }));
    if (n > opts.maxRows || m > opts.maxCols || (l < L && net.layers[l + 1] > opts.maxCols)) {
      parts.push(el("p", { class: "hint", text: t("teach.equations.truncated", "Wide layers are shortened: ⋯ and ⋮ stand for the rows and columns not written out.") }));
    }
    root.replaceChildren(...parts);
    fit();
  }

  return {
    keys: ["selection", "session", "forward", "backward", "sample", "playing"],
    render,
    hide() { /* keeps the picked layer */ },
  };
}
