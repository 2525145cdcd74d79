// Step 6: dynamic programming. δ^L at the output, the recurrence δ^l = (W^{l+1})ᵀ δ^{l+1} ⊙ σ′(z^l)
// and ∂C/∂W^l = δ^l (a^{l−1})ᵀ, shown layer by layer from the output back (with the network's
// own backward animation); the multiply-adds of both methods and both gradients from /paths.

import { el } from "../../dom.js";
import { t } from "../../i18n.js";
import { texColumn, texMatrix, exact, DERIVATIVES } from "../../views/teach/math.js";
import { prose, formula, n4, par, createExercise } from "../render.js";
import { followTrace } from "./live.js";
import { followPaths, setupDeep } from "./paths.js";

const REVEAL_MS = 650;

export const dp = {
  title: ["lesson.s6.title", "Dynamic programming"],
  setup: setupDeep,
  mount(ctx, body) {
    const cards = el("div", { class: "lesson-cards" });
    const costs = el("div", { class: "lesson-costs" });
    const animate = el("button", { type: "button", class: "btn btn-small", "data-action": "lesson-animate", i18n: ["lesson.s6.animate", "▶ Backward, layer by layer"] });
    const exercise = createExercise("dp-delta");
    body.append(
      prose("lesson.s6.intro", "The paths share their ends: every path through neuron $j$ of layer $l$ continues the same way to the loss. So store, for each neuron, $\\delta^l_j = \\partial C/\\partial z^l_j$ once, and compute it from the layer after it. At the output:"),
      formula(`\\delta^L = J_{\\sigma}(z^L)^{\\mathsf T}\\, \\nabla_a C \\;=\\; \\nabla_a C \\odot \\sigma'(z^L) \\quad \\text{${t("lesson.s6.elementwise", "(element-wise σ)")}}`),
      prose("lesson.s6.rec", "then, from layer $L-1$ down to $1$, the recurrence and the gradient of each layer:"),
      formula("\\delta^l = (W^{l+1})^{\\mathsf T} \\delta^{l+1} \\odot \\sigma'(z^l), \\qquad \\frac{\\partial C}{\\partial W^l} = \\delta^l (a^{l-1})^{\\mathsf T}"),
      el("div", { class: "lesson-controls" }, animate),
      cards, costs, exercise.node,
    );
    ctx.highlight(["[data-action=backward]"]);
    let timer = 0;

    function reveal() {
      window.clearTimeout(timer);
      const list = [...cards.children];
      list.forEach((c) => c.classList.remove("is-shown", "is-current"));
      let i = 0;
      const next = () => {
        list.forEach((c) => c.classList.remove("is-current"));
        const card = list[i];
        if (!card) { cards.dataset.revealed = "all"; return; }
        card.classList.add("is-shown", "is-current");
        i += 1;
        timer = window.setTimeout(next, REVEAL_MS);
      };
      cards.dataset.revealed = "";
      next();
    }
    animate.addEventListener("click", () => { ctx.actions.backward(); reveal(); });

    const offTrace = followTrace(ctx, (tr, s) => {
      const L = tr.layers.length;
      const net = s.network;
      const list = [];
      for (let l = L; l >= 1; l--) {
        const layer = tr.layers[l - 1];
        const delta = layer.delta[0];
        const head = l === L
          ? `\\delta^{${L}} = ${texColumn(delta)} \\quad (${net.loss === "bce" && net.activations[L - 1] === "sigmoid" ? "a^L - y" : "\\nabla_a C \\odot \\sigma'(z^L)"})`
          : `\\delta^{${l}} = (W^{${l + 1}})^{\\mathsf T}\\delta^{${l + 1}} \\odot \\sigma'(z^{${l}}) = ${texColumn(delta)}`;
        list.push(el("div", { class: "lesson-card is-shown", "data-lesson-layer": String(l), "data-delta": exact(delta[0]) },
          formula(head), formula(`\\frac{\\partial C}{\\partial W^{${l}}} = \\delta^{${l}} (a^{${l - 1}})^{\\mathsf T} = ${texMatrix(layer.grad_weights, { maxRows: 4, maxCols: 4, digits: 3 })}`)));
      }
      cards.replaceChildren(...list);
      cards.dataset.revealed = "all";
      // exercise: δ^{L−1}_1 from δ^L, W^L and σ′(z^{L−1}_1)
      const hidden = tr.layers[L - 2];
      const act = net.activations[L - 2];
      const spv = DERIVATIVES[act]?.value(hidden.z[0][0], hidden.a[0][0]);
      const WL = net.weights[L - 1];
      const dL = tr.layers[L - 1].delta[0];
      const col = WL.map((row) => row[0]);
      const terms = col.map((w, j) => `${par(w)} \\cdot ${par(dL[j])}`).join(" + ");
      exercise.set({
        key: "lesson.s6.q", en: "From $\\delta^{{L}} = {dL}$, the weights into it from neuron 1 of layer {l}, ${w}$, and $\\sigma'(z^{{l}}_1) = {sp}$: what is $\\delta^{{l}}_1$?",
        params: { L, l: L - 1, dL: texColumn(dL), w: texColumn(col), sp: n4(spv) }, truth: hidden.delta[0][0],
        derive: () => formula(`\\delta^{${L - 1}}_1 = \\Big(\\sum_j W^{${L}}_{j1}\\,\\delta^{${L}}_j\\Big)\\,\\sigma'(z^{${L - 1}}_1) = (${terms}) \\cdot ${n4(spv)} = ${n4(hidden.delta[0][0])}`),
      });
    });
    const offPaths = followPaths(ctx, (r) => {
      costs.replaceChildren(el("table", { class: "lesson-table", "data-lesson-table": "costs" },
        el("thead", {}, el("tr", {}, el("th"), el("th", { i18n: ["lesson.s6.sum", "sum over paths"] }), el("th", { i18n: ["lesson.s6.dp", "δ recurrence"] }))),
        el("tbody", {},
          el("tr", {}, el("th", { i18n: ["lesson.s6.madds", "multiply-adds"] }),
            el("td", { "data-lesson-value": "path-madds", "data-value": String(r.path_multiply_adds), text: r.path_multiply_adds.toLocaleString("en") }),
            el("td", { "data-lesson-value": "dp-madds", "data-value": String(r.dp_multiply_adds), text: r.dp_multiply_adds.toLocaleString("en") })),
          el("tr", {}, el("th", {}, formula("\\partial C/\\partial W^1_{11}")),
            el("td", { "data-lesson-value": "path-gradient", "data-value": exact(r.path_gradient) }, formula(n4(r.path_gradient))),
            el("td", { "data-lesson-value": "dp-gradient", "data-value": exact(r.dp_gradient) }, formula(n4(r.dp_gradient)))))),
      prose("lesson.s6.same", "The same gradient, for {ratio}× fewer multiply-adds; the gap grows exponentially with depth.", { ratio: n4(r.path_multiply_adds / Math.max(1, r.dp_multiply_adds)) }, "lesson-good"));
    });
    return { destroy: () => { window.clearTimeout(timer); offTrace(); offPaths(); } };
  },
};
