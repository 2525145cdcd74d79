// Step 2: one parameter. a = (wx)², C = ½(a − y)², x = 1, y = 0, so C = ½w⁴ and
// ∂C/∂w = 2w³. The cost curve with w, its tangent and the SGD iterates; the loss of the
// iterations. Every number is the engine's: the iterates are a throwaway session stepped
// 30 times (actions.sgdIterates), the slope a stateless trace.

import { el } from "../../dom.js";

import { exact } from "../../views/teach/math.js";
import { prose, formula, n4, valueSpan, createExercise } from "../render.js";
import { createCostPlot, createLossPlot } from "../plot.js";

const STEPS = 30;
/** The learner's w⁰ and η, kept while the page lives (a language switch redraws the step). */
const chosen = { w0: 2, eta: 0.02 };

export function workedTrace(w) {
  return { network: { layers: [1, 1], activations: ["square"], loss: "mse", bias: false, weights: [[[w]]] }, x: [[1.0]], y: [[0.0]] };
}

export const oneWeight = {
  title: ["lesson.s2.title", "One parameter: C = ½w⁴"],
  setup(ctx) {
    const preset = ctx.preset("worked-example");
    if (!preset) return;
    // the worked example, with the w⁰ and η the learner last chose here
    const spec = JSON.parse(JSON.stringify(preset));
    spec.network.weights = [[[chosen.w0]]];
    spec.training.learning_rate = chosen.eta;
    ctx.actions.lessonSetup(spec);
  },
  mount(ctx, body) {
    const { actions } = ctx;
    const etaInput = el("input", { type: "number", min: "0.001", max: "1", step: "0.01", value: String(chosen.eta), "data-lesson-control": "eta", class: "lesson-num" });
    const wInput = el("input", { type: "number", min: "-2.5", max: "2.5", step: "0.1", value: String(chosen.w0), "data-lesson-control": "w0", class: "lesson-num" });
    const live = el("div", { class: "lesson-live" });
    const plotBox = el("div", { class: "lesson-plot-box" });
    const lossBox = el("div", { class: "lesson-plot-box" });
    const status = el("div", { class: "lesson-status", "aria-live": "polite" });
    const iterList = el("ol", { class: "lesson-iterates", start: "0", "data-lesson-iterates": "" });
    const exercise = createExercise("next-w");
    body.append(
      prose("lesson.s2.intro", "Start with the smallest network there is: one weight $w$, input $x = 1$, target $y = 0$, activation $a = (wx)^2$ and loss $C = \\tfrac12 (a - y)^2$. Then $C(w) = \\tfrac12 w^4$ and, by the chain rule, $\\partial C/\\partial w = 2w^3$. The page now holds this network."),
      el("div", { class: "lesson-controls" },
        el("label", { class: "field" }, el("span", { class: "field-label", text: "w⁰" }), wInput),
        el("label", { class: "field" }, el("span", { class: "field-label", text: "η" }), etaInput)),
      plotBox,
      prose("lesson.s2.drag", "Drag the point to move $w^0$, or change $\\eta$: the tangent's slope is the gradient, and each dot is one SGD step $w^{t+1} = w^t - \\eta\\, 2 (w^t)^3$."),
      live, status,
      el("h4", { class: "lesson-h", i18n: ["lesson.s2.lossTitle", "The loss of the 30 iterations"] }), lossBox,
      el("details", { class: "lesson-details" }, el("summary", { i18n: ["lesson.s2.all", "All 30 iterates (computed by the engine)"] }), iterList),
      exercise.node,
    );
    const cost = createCostPlot(plotBox, { onDrag: (w) => { wInput.value = String(w); change(); } });
    const lossPlot = createLossPlot(lossBox);
    ctx.highlight(["[data-metric=loss]"]);
    ctx.glowEdges(["1:0:0"]);
    let alive = true;
    let ticket = 0;

    async function change() {
      const w0 = Number(/** @type {HTMLInputElement} */ (wInput).value);
      const eta = Number(/** @type {HTMLInputElement} */ (etaInput).value);
      if (!Number.isFinite(w0) || !Number.isFinite(eta) || eta <= 0 || Math.abs(w0) > 2.5 || eta > 1) return;
      chosen.w0 = w0;
      chosen.eta = eta;
      const mine = ++ticket;
      const spec = ctx.preset("worked-example");
      if (!spec) return;
      syncPage(w0, eta);
      const [tr, it] = await Promise.all([actions.trace(workedTrace(w0)), actions.sgdIterates(spec, w0, eta, STEPS)]);
      if (!alive || mine !== ticket || !tr || !it) return;
      draw(w0, eta, tr, it);
    }

    /** The page's own session (the worked example) takes the learner's w⁰ and η too. */
    function syncPage(w0, eta) {
      const s = ctx.store.state.session;
      if (!s || s.network.layers.length !== 2 || s.network.activations[0] !== "square") return;
      if (s.network.weights[0][0][0] !== w0) actions.editParameter({ layer: 1, kind: "weight", row: 0, column: 0, value: w0 });
      if (s.training.learning_rate !== eta) actions.patchTraining({ learning_rate: eta });
    }

    function draw(w0, eta, tr, it) {
      const slope = tr.layers[0].grad_weights[0][0];
      cost.update(w0, tr.loss, slope, it.w);
      lossPlot.update(it.steps, it.loss);
      const last = it.w[it.w.length - 1];
      live.replaceChildren(
        formula(`C(${n4(w0)}) = \\tfrac12 \\cdot ${n4(w0)}^4 = ${n4(tr.loss)}, \\qquad \\frac{\\partial C}{\\partial w} = 2 \\cdot ${n4(w0)}^3 = ${n4(slope)}`),
        el("p", { class: "lesson-p" }, ...[
          prose("lesson.s2.after", "After {k} steps with $\\eta = {eta}$:", { k: it.applied, eta: n4(eta) }, "lesson-inline"),
          document.createTextNode(" "), valueSpan("w30", last, 6)]),
      );
      status.replaceChildren();
      status.dataset.diverged = String(it.diverged);
      if (it.diverged) status.append(prose("lesson.s2.diverged", "$\\eta = {eta}$ is too large: each step overshoots the minimum by more than it started, $|w|$ grows, and the engine refused step {k} because $w$ would no longer be a finite number. This is divergence.", { eta: n4(eta), k: it.applied + 1 }, "lesson-bad"));
      else if (eta === 0.02 && w0 === 2) status.append(prose("lesson.s2.book", "From $w = 2$ with $\\eta = 0.02$ the 30 steps reach $w = 0.597$: the steps shrink as the slope $2w^3$ flattens near the minimum.", null, "lesson-good"));
      iterList.replaceChildren(...it.w.map((/** @type {number} */ v, /** @type {number} */ k) => el("li", { "data-iterate": String(k), "data-value": exact(v), text: String(Number(v.toPrecision(6))) })));
      const w1 = it.w[1];
      if (w1 === undefined) return;
      exercise.set({
        key: "lesson.s2.q", en: "From $w^0 = {w0}$ with $\\eta = {eta}$, what is $w^1$ after one SGD step?",
        params: { w0: n4(w0), eta: n4(eta) }, truth: w1,
        derive: () => formula(`w^1 = w^0 - \\eta \\cdot 2 (w^0)^3 = ${n4(w0)} - ${n4(eta)} \\cdot 2 \\cdot ${w0 < 0 ? `(${n4(w0)})` : n4(w0)}^3 = ${n4(w0)} - (${n4(eta * slope)}) = ${n4(w1)}`),
      });
    }

    wInput.addEventListener("change", change);
    etaInput.addEventListener("change", change);
    change();
    return { destroy: () => { alive = false; } };
  },
};

