// Step 4: a composition of layers. A chain of three one-neuron layers on the page; the
// derivative of the loss by the first weight is the product of each layer's derivative,
// written out with the engine's z, a and δ of the sample.

import { el } from "../../dom.js";
import { DERIVATIVES, TEX_ACTIVATION } from "../../views/teach/math.js";
import { prose, formula, n4, par, valueSpan, createExercise } from "../render.js";
import { followTrace } from "./live.js";

export const CHAIN_SPEC = {
  network: { layers: [1, 1, 1, 1], activations: ["tanh", "tanh", "linear"], loss: "mse", bias: false, weights: [[[0.8]], [[-1.5]], [[1.2]]] },
  dataset: { x: [[1.0]], y: [[0.5]], name: "three-layer chain", kind: "regression" },
  training: { optimizer: "sgd", learning_rate: 0.1, batch_size: 1 },
};


export const layers = {
  title: ["lesson.s4.title", "A composition of layers"],
  setup(ctx) {
    ctx.actions.lessonSetup(CHAIN_SPEC);
  },
  mount(ctx, body) {
    const live = el("div", { class: "lesson-live" });
    const exercise = createExercise("chain-delta");
    body.append(
      prose("lesson.s4.intro", "The page now holds a chain of three layers with one neuron each: $a^1 = \\tanh(w^1 x)$, $a^2 = \\tanh(w^2 a^1)$, $a^3 = w^3 a^2$, and $C = \\tfrac12 (a^3 - y)^2$. The loss is a composition of functions, so its derivative by $w^1$ is the product of each link's derivative:"),
      formula("\\frac{\\partial C}{\\partial w^1} = \\underbrace{(a^3 - y)\\,\\sigma_3'(z^3)}_{\\delta^3}\\; w^3\\, \\sigma_2'(z^2)\\; w^2\\, \\sigma_1'(z^1)\\; x"),
      prose("lesson.s4.edit", "Click a weight in the network and change it: every factor below is recomputed by the engine. Read the product from the loss backwards: that order is the one backprop uses."),
      live, exercise.node,
    );
    ctx.glowEdges(["1:0:0", "2:0:0", "3:0:0"]);

    const off = followTrace(ctx, (tr, s) => {
      if (s.network.layers.length !== 4 || s.network.layers.some((n) => n !== 1)) {
        live.replaceChildren(prose("lesson.s4.changed", "This step needs the three-layer chain; go back one step and forward again to rebuild it.", null, "lesson-bad"));
        return;
      }
      const x = tr.x[0][0];
      const y = s.dataset.y[tr.sample?.index ?? 0]?.[0] ?? 0;
      const w = s.network.weights.map((W) => W[0][0]);
      const z = tr.layers.map((l) => l.z[0][0]);
      const a = tr.layers.map((l) => l.a[0][0]);
      const d = tr.layers.map((l) => l.delta[0][0]);
      const acts = s.network.activations;
      const sp = acts.map((name, i) => DERIVATIVES[name]?.value(z[i], a[i]) ?? NaN);
      const g = tr.layers[0].grad_weights[0][0];
      live.replaceChildren(
        formula(`x = ${n4(x)},\\; z^1 = ${n4(z[0])},\\; a^1 = ${n4(a[0])},\\; a^2 = ${n4(a[1])},\\; a^3 = ${n4(a[2])},\\; y = ${n4(y)}`),
        formula(`\\begin{aligned}\\frac{\\partial C}{\\partial w^1} &= (${n4(a[2])} - ${par(y)})\\cdot ${n4(sp[2])} \\cdot ${par(w[2])} \\cdot ${n4(sp[1])} \\\\ &\\quad \\cdot ${par(w[1])} \\cdot ${n4(sp[0])} \\cdot ${par(x)} = ${n4(g)}\\end{aligned}`),
        formula(`\\delta^3 = ${n4(d[2])},\\quad \\delta^2 = w^3 \\delta^3 \\sigma_2'(z^2) = ${n4(d[1])},\\quad \\delta^1 = ${n4(d[0])}`),
        el("p", { class: "lesson-p" }, prose("lesson.s4.engine", "The engine's $\\partial C/\\partial w^1$:", null, "lesson-inline"), document.createTextNode(" "), valueSpan("chain-grad", g, 6)),
      );
      exercise.set({
        key: "lesson.s4.q", en: "With $\\delta^2 = {d2}$, $w^2 = {w2}$ and $a^1 = {a1}$ (so $\\sigma_1'(z^1) = 1 - (a^1)^2$ for ${act}$), what is $\\delta^1$?",
        params: { d2: n4(d[1]), w2: n4(w[1]), a1: n4(a[0]), act: TEX_ACTIVATION[acts[0]] ?? acts[0] }, truth: d[0],
        derive: () => formula(`\\delta^1 = w^2\\,\\delta^2\\,\\sigma_1'(z^1) = ${par(w[1])} \\cdot ${par(d[1])} \\cdot (1 - ${par(a[0])}^2) = ${par(w[1])} \\cdot ${par(d[1])} \\cdot ${n4(sp[0])} = ${n4(d[0])}`),
      });
    });
    return { destroy: off };
  },
};
