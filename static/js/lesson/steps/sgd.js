// Step 7: putting it together — one full SGD step on the learner's network: the next
// minibatch's gradient (POST /backward, nothing consumed), the predicted new weight, the
// step by the engine, then Play.

import { el } from "../../dom.js";
import { exact } from "../../views/teach/math.js";
import { prose, formula, n4, createExercise } from "../render.js";

export const sgd = {
  title: ["lesson.s7.title", "Putting it together"],
  mount(ctx, body) {
    const { store, actions } = ctx;
    const live = el("div", { class: "lesson-live" });
    const after = el("div", { class: "lesson-live", "aria-live": "polite" });
    const stepBtn = el("button", { type: "button", class: "btn btn-primary btn-small", "data-action": "lesson-sgd-step", i18n: ["lesson.s7.step", "⇥ Take the step"] });
    const playBtn = el("button", { type: "button", class: "btn btn-small", "data-action": "lesson-play", i18n: ["lesson.s7.play", "▶ Play"] });
    const exercise = createExercise("sgd-next");
    body.append(
      prose("lesson.s7.intro", "Now all four steps on your network. For the next minibatch of $B$ samples, the forward pass stores every $z^l$ and $a^l$, the backward pass every $\\delta^l$, and each weight moves against the mean gradient:"),
      formula("W^l \\leftarrow W^l - \\eta\\, \\frac{1}{B}\\sum_b \\delta^l_b\\, (a^{l-1}_b)^{\\mathsf T}"),
      live, exercise.node,
      el("div", { class: "lesson-controls" }, stepBtn, playBtn),
      after,
      prose("lesson.s7.playNote", "Play repeats exactly this, minibatch after minibatch. Watch the loss fall and the output take shape; this is the whole of learning."),
    );
    ctx.highlight(["[data-action=step]", "[data-action=play]", "[data-metric=loss]"]);
    ctx.glowEdges(["1:0:0"]);
    let preview = null;
    let asked = null;
    let before = null;

    function update() {
      const s = store.state.session;
      if (!s || store.state.playing || asked === s) return;
      asked = s;
      actions.previewStep().then((r) => {
        if (!r || r.session !== store.state.session) return;
        preview = r;
        draw(r.answer, r.session);
      });
    }

    function draw(b, s) {
      const w = s.network.weights[0][0][0];
      const g = b.layers[0].grad_weights[0][0];
      const eta = s.training.learning_rate;
      const dw = b.update?.weights?.[0]?.[0]?.[0];
      const truth = dw === undefined ? w - eta * g : w + dw;
      live.replaceChildren(
        formula(`B = ${b.x.length},\\quad \\eta = ${n4(eta)},\\quad W^1_{11} = ${n4(w)},\\quad \\frac{\\partial C}{\\partial W^1_{11}} = ${n4(g)}`),
      );
      live.dataset.weight = exact(w);
      live.dataset.gradient = exact(g);
      exercise.set({
        key: "lesson.s7.q", en: "Before you press the button: what will $W^1_{11}$ be after this step?", params: null, truth,
        tolerance: { rel: 0.01, abs: Math.max(1e-4, Math.abs(eta * g) * 0.02) },
        derive: () => formula(`W^1_{11} - \\eta\\,\\frac{\\partial C}{\\partial W^1_{11}} = ${n4(w)} - ${n4(eta)} \\cdot ${g < 0 ? `(${n4(g)})` : n4(g)} = ${n4(truth)}`),
      });
    }

    stepBtn.addEventListener("click", async () => {
      if (!preview) return;
      before = preview.session.network.weights[0][0][0];
      await actions.step();
      const s = store.state.session;
      after.replaceChildren(formula(`W^1_{11}: ${n4(before)} \\;\\to\\; ${n4(s.network.weights[0][0][0])} \\quad (\\text{step } ${s.step})`));
      after.dataset.weight = exact(s.network.weights[0][0][0]);
    });
    playBtn.addEventListener("click", () => /** @type {HTMLButtonElement | null} */ (document.querySelector("[data-action=play]"))?.click());
    update();
    const off = store.on(["session", "playing"], update);
    return { destroy: off };
  },
};
