// Step 5: many parameters — paths. A first-layer weight reaches the loss along every path
// through the later layers; ∂C/∂w is the sum over them. The count and the terms are POST
// /paths's; the largest paths glow on the network.

import { el } from "../../dom.js";
import { exact } from "../../views/teach/math.js";
import { prose, formula, n4, createExercise } from "../render.js";
import { pathEdges } from "./live.js";

export const DEEP_SPEC = {
  network: { layers: [2, 3, 3, 3, 1], activations: ["tanh", "tanh", "tanh", "sigmoid"], loss: "bce", bias: true, init: "xavier", seed: 1 },
  dataset: { name: "xor", n_samples: 200, noise: 0.0, test_fraction: 0.2, seed: 0 },
  training: { optimizer: "sgd", learning_rate: 0.1, batch_size: 10 },
};

/** A network this step and the next can show paths on: two hidden layers or more, each wider than one. */
export function deepEnough(s) {
  const hidden = s?.network.layers.slice(1, -1) ?? [];
  return hidden.length >= 2 && hidden.every((n) => n >= 2) && !s.network.activations.includes("softmax");
}

/** Steps 5 and 6 need a deep network: the page's, if it is one, else DEEP_SPEC. */
export function setupDeep(ctx) {
  if (!deepEnough(ctx.store.state.session)) ctx.actions.lessonSetup(DEEP_SPEC);
}

/** The paths answer for W^1[0][0] and the selected sample, whenever the session changes. */
export function followPaths(ctx, draw) {
  const { store, actions } = ctx;
  let asked = null;
  let alive = true;
  function update() {
    const s = store.state.session;
    if (!s || asked === s || store.state.playing || s.network.layers.length < 3) return;
    asked = s;
    const { index, split } = store.state.sample;
    actions.paths({ layer: 1, row: 0, column: 0, index, split }).then((r) => {
      if (alive && r && r.session === store.state.session) draw(r.answer, r.session);
    });
  }
  update();
  const off = store.on("session", update);
  return () => { alive = false; off(); };
}

export const paths = {
  title: ["lesson.s5.title", "Many parameters: paths"],
  setup: setupDeep,
  mount(ctx, body) {
    const live = el("div", { class: "lesson-live" });
    const table = el("div", { class: "lesson-table-box" });
    const exercise = createExercise("path-count");
    body.append(
      prose("lesson.s5.intro", "In a real network the weight $W^1_{11}$ (first layer, from input 1 to neuron 1) changes $z^1_1$, which changes every neuron of layer 2, each of which changes every neuron of layer 3, and so on to the loss. The chain rule sums one product over every path:"),
      formula("\\frac{\\partial C}{\\partial W^1_{11}} = \\sum_{i_2,\\dots,i_L} a^0_1\\,\\sigma'(z^1_1)\\, W^2_{i_2 1}\\,\\sigma'(z^2_{i_2}) \\cdots W^L_{i_L i_{L-1}}\\,\\frac{\\partial C}{\\partial z^L_{i_L}}"),
      live, table,
      prose("lesson.s5.grow", "One term per path, and the number of paths is the product of the widths after layer 1: it grows exponentially with depth. Add a hidden layer in the Network panel and watch the count."),
      exercise.node,
    );
    ctx.highlight(["[data-builder=add-layer]", "#panel-builder"]);
    const off = followPaths(ctx, (r, s) => {
      const widths = s.network.layers.slice(2);
      live.replaceChildren(
        el("p", { class: "lesson-p" }, prose("lesson.s5.count", "Paths from $W^1_{11}$ to the loss in your network:", null, "lesson-inline"), document.createTextNode(" "),
          el("strong", { class: "lesson-big", "data-lesson-value": "paths", "data-value": String(r.paths), text: r.paths.toLocaleString("en") })),
        formula(`${widths.join(" \\times ")} = ${r.paths},\\qquad \\sum_{\\text{paths}} = ${n4(r.path_gradient)} = \\frac{\\partial C}{\\partial W^1_{11}}`),
        prose("lesson.s5.top", "The {k} largest paths glow on the network; the thicker, the larger the term.", { k: r.top_paths.length }, "hint"),
      );
      table.replaceChildren(el("table", { class: "lesson-table", "data-lesson-table": "depth" },
        el("thead", {}, el("tr", {}, el("th", { i18n: ["lesson.s5.hidden", "hidden layers"] }), el("th", { i18n: ["lesson.s5.paths", "paths"] }))),
        el("tbody", {}, ...r.cost_by_depth.map((row) => el("tr", { class: row.hidden_layers === s.network.layers.length - 2 ? "is-current" : "" },
          el("td", { text: String(row.hidden_layers) }), el("td", { text: row.paths.toLocaleString("en") }))))));
      ctx.actions.highlightPaths(r.top_paths.map((p) => ({ edges: pathEdges(1, 0, p.neurons), contribution: p.contribution })));
      exercise.set({
        key: "lesson.s5.q", en: "Your network has widths ${layers}$. How many paths lead from $W^1_{11}$ to the loss?",
        params: { layers: s.network.layers.join(",\\,") }, truth: r.paths, tolerance: { rel: 0, abs: 0.5 },
        derive: () => el("div", {},
          prose("lesson.s5.derive", "Choose one neuron in each layer after layer 1: $n_2 \\cdot n_3 \\cdots n_L$.", null),
          formula(`${widths.join(" \\cdot ")} = ${r.paths}`)),
      });
      live.dataset.pathGradient = exact(r.path_gradient);
    });
    return { destroy: off };
  },
};
