// Step 3: the same derivation with x free, then with C′(a) for any differentiable loss:
// ∂C/∂w = C′(a) · σ′(z) · x, z = wx, a = z², every factor and the result from a stateless trace.

import { el } from "../../dom.js";
import { prose, formula, n4, valueSpan, createExercise } from "../render.js";

const LOSSES = {
  mse: { c: "\\tfrac12 (a - y)^2", dc: "a - y", value: (a, y) => a - y, sub: (a, y) => `${n4(a)} - ${n4(y)}` },
  bce: { c: "-[y \\ln a + (1-y) \\ln(1-a)]", dc: "\\frac{a - y}{a(1-a)}", value: (a, y) => (a - y) / (a * (1 - a)), sub: (a, y) => `\\frac{${n4(a)} - ${n4(y)}}{${n4(a)}\\,(1 - ${n4(a)})}` },
};
const chosen = { w: 0.6, x: 1.5, y: 0, loss: "mse" };

export const chain = {
  title: ["lesson.s3.title", "General x, then any loss"],
  mount(ctx, body) {
    const num = (name, v, step) => el("input", { type: "number", step, value: String(v), "data-lesson-control": name, class: "lesson-num" });
    const inputs = { w: num("w", chosen.w, "0.1"), x: num("x", chosen.x, "0.1"), y: num("y", chosen.y, "0.1") };
    const loss = el("select", { "data-lesson-control": "loss" }, el("option", { value: "mse", text: "½(a − y)²" }), el("option", { value: "bce", text: "−[y ln a + (1−y) ln(1−a)]" }));
    /** @type {HTMLSelectElement} */ (loss).value = chosen.loss;
    const live = el("div", { class: "lesson-live" });
    const exercise = createExercise("chain-gradient");
    body.append(
      prose("lesson.s3.intro", "Now let $x$ be any input. With $z = wx$ and $a = z^2$ the chain rule multiplies one derivative per link of the chain $w \\to z \\to a \\to C$:"),
      formula("\\frac{\\partial C}{\\partial w} = \\frac{\\partial C}{\\partial a}\\cdot\\frac{\\partial a}{\\partial z}\\cdot\\frac{\\partial z}{\\partial w} = C'(a)\\cdot 2z \\cdot x"),
      prose("lesson.s3.any", "Nothing here needs the loss to be $\\tfrac12(a-y)^2$: any differentiable loss only changes the first factor $C'(a)$. Change $w$, $x$, $y$ or the loss and watch each factor."),
      el("div", { class: "lesson-controls" },
        ...["w", "x", "y"].map((k) => el("label", { class: "field" }, el("span", { class: "field-label", text: k }), inputs[k])),
        el("label", { class: "field" }, el("span", { class: "field-label", text: "C(a)" }), loss)),
      live, exercise.node,
    );
    let alive = true;
    let ticket = 0;

    async function change() {
      const w = Number(inputs.w.value), x = Number(inputs.x.value), y = Number(inputs.y.value);
      const name = /** @type {HTMLSelectElement} */ (loss).value;
      if (![w, x, y].every(Number.isFinite)) return;
      Object.assign(chosen, { w, x, y, loss: name });
      const L = LOSSES[name];
      const a0 = (w * x) ** 2;
      if (name === "bce" && (!(a0 > 0 && a0 < 1) || y < 0 || y > 1)) {
        live.replaceChildren(prose("lesson.s3.bceRange", "The cross-entropy needs $0 < a < 1$ and $0 \\le y \\le 1$; here $a = (wx)^2 = {a}$. Choose a smaller $w$ or $x$.", { a: n4(a0) }, "lesson-bad"));
        return;
      }
      const mine = ++ticket;
      const tr = await ctx.actions.trace({ network: { layers: [1, 1], activations: ["square"], loss: name, bias: false, weights: [[[w]]] }, x: [[x]], y: [[y]] });
      if (!alive || mine !== ticket || !tr) return;
      const z = tr.layers[0].z[0][0], a = tr.layers[0].a[0][0], g = tr.layers[0].grad_weights[0][0];
      const dc = L.value(a, y);
      live.replaceChildren(
        formula(`z = wx = ${n4(w)}\\cdot ${n4(x)} = ${n4(z)}, \\quad a = z^2 = ${n4(a)}, \\quad C = ${L.c} = ${n4(tr.loss)}`),
        formula(`C'(a) = ${L.dc} = ${L.sub(a, y)} = ${n4(dc)}`),
        formula(`\\frac{\\partial C}{\\partial w} = ${n4(dc)} \\cdot 2 \\cdot ${n4(z)} \\cdot ${n4(x)} = ${n4(g)}`),
        el("p", { class: "lesson-p" }, prose("lesson.s3.engine", "The engine's backward pass gives", null, "lesson-inline"), document.createTextNode(" "), valueSpan("chain-gradient", g, 6)),
      );
      // the question's answer comes from the engine too: a second trace at x + ½
      const x2 = x + 0.5;
      const a2 = (w * x2) ** 2;
      if (name === "bce" && !(a2 > 0 && a2 < 1)) {
        exercise.set({ key: "lesson.s3.q0", en: "With these numbers, what is $\\partial C/\\partial w$?", params: null, truth: g,
          derive: () => formula(`C'(a)\\cdot 2z\\cdot x = ${n4(dc)} \\cdot 2 \\cdot ${n4(z)} \\cdot ${n4(x)} = ${n4(g)}`) });
        return;
      }
      const tr2 = await ctx.actions.trace({ network: { layers: [1, 1], activations: ["square"], loss: name, bias: false, weights: [[[w]]] }, x: [[x2]], y: [[y]] });
      if (!alive || mine !== ticket || !tr2) return;
      const z2 = tr2.layers[0].z[0][0], aa = tr2.layers[0].a[0][0], g2 = tr2.layers[0].grad_weights[0][0];
      exercise.set({
        key: "lesson.s3.q", en: "Change $x$ to ${x2}$ (keep $w = {w}$, $y = {y}$, this loss). Predict $\\partial C/\\partial w$ before you try it.",
        params: { x2: n4(x2), w: n4(w), y: n4(y) }, truth: g2,
        derive: () => el("div", {},
          formula(`z = ${n4(w)}\\cdot ${n4(x2)} = ${n4(z2)},\\quad a = z^2 = ${n4(aa)},\\quad C'(a) = ${L.sub(aa, y)} = ${n4(L.value(aa, y))}`),
          formula(`\\frac{\\partial C}{\\partial w} = C'(a)\\cdot 2z\\cdot x = ${n4(L.value(aa, y))} \\cdot 2 \\cdot ${n4(z2)} \\cdot ${n4(x2)} = ${n4(g2)}`)),
      });
    }
    for (const node of [...Object.values(inputs), loss]) node.addEventListener("change", change);
    change();
    return { destroy: () => { alive = false; } };
  },
};
