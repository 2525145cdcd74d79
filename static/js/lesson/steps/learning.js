// Step 1: the four steps of learning, on the page's own network, and why (c) is the hard one.

import { el } from "../../dom.js";

import { prose, formula, n4 } from "../render.js";

const PARTS = [
  { sel: "#panel-builder", key: "lesson.s1.a", en: "(a) Build the network: its layers, widths and activations (the Network panel)." },
  { sel: "[data-action=reset]", key: "lesson.s1.b", en: "(b) Initialise the parameters: random weights $W^l$ and biases $b^l$ (Reset draws them again)." },
  { sel: "[data-action=backward]", key: "lesson.s1.c", en: "(c) Compute the gradient $\\partial C/\\partial w$ of the loss for the samples, for every parameter at once (Backward)." },
  { sel: "[data-action=step]", key: "lesson.s1.d", en: "(d) Update by stochastic gradient descent, $w \\leftarrow w - \\eta\\,\\partial C/\\partial w$ (Step)." },
];

export const learning = {
  title: ["lesson.s1.title", "The four steps of learning"],
  mount(ctx, body) {
    const { store } = ctx;
    const live = el("div", { class: "lesson-live" });
    body.append(
      prose("lesson.s1.intro", "A neural network learns in four steps. Each one is a button or a panel on this page, on the network you see:"),
      el("ol", { class: "lesson-parts" }, ...PARTS.map((p) => el("li", { onmouseenter: () => ctx.highlight([p.sel]), onfocus: () => ctx.highlight([p.sel]), tabindex: "0" }, prose(p.key, p.en, null, "lesson-inline")))),
      live,
      prose("lesson.s1.why", "Steps (a), (b) and (d) are easy to picture. Step (c) is not: one weight deep inside the network changes every later neuron, and the loss depends on it through all of them. Backpropagation is the way to compute (c) for every weight at the cost of about one more forward pass. The next steps derive it, from one weight to your whole network."),
    );
    ctx.highlight(PARTS.map((p) => p.sel));
    function update() {
      const s = store.state.session;
      if (!s) return;
      const layers = s.network.layers;
      let count = 0;
      for (let l = 1; l < layers.length; l++) count += layers[l] * layers[l - 1] + (s.network.bias === false ? 0 : layers[l]);
      live.replaceChildren(
        formula(`w \\leftarrow w - ${n4(s.training.learning_rate)}\\,\\frac{\\partial C}{\\partial w}`),
        prose("lesson.s1.count", "Your network has ${count}$ parameters and learning rate $\\eta = {eta}$: step (c) must give ${count}$ partial derivatives, for every minibatch.", { count, eta: n4(s.training.learning_rate) }),
      );
      live.querySelector("p")?.setAttribute("data-lesson-value", "parameters");
      live.querySelector("p")?.setAttribute("data-value", String(count));
    }
    update();
    const off = store.on("session", update);
    return { destroy: off };
  },
};

