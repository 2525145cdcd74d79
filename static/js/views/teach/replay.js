// Replay: a timeline over the run's stored snapshots (GET /snapshots) showing the
// network's weights, the output over the input plane and the metrics as they were
// at that step; and one update stepped through in phases, forward → loss →
// backward → update, on the minibatch the next Step uses (POST /backward {}).
//
// The past output plane is computed here: a forward pass with the snapshot's exact
// weights over the grid of feature values the API's GET /boundary sent (its
// `inputs`), so it matches /boundary exactly when the weights are the current ones.

import { t } from "../../i18n.js";
import { el } from "../../dom.js";
import { classColor, signed } from "../../colors.js";
import { paintHeatmap } from "../heatmap.js";
import { exact, forwardGrid, renderTex, texFactor, texNum, textNum } from "./math.js";
import { maxDiff, noteEl, updateMatrices } from "./common.js";
import { createLineChart } from "./chart.js";

const PHASES = ["forward", "loss", "backward", "update"];
const MAX_NUMBERS = 2_000_000; // GET /snapshots sends every stored snapshot: beyond this many numbers, do not ask
const SHOWN_SAMPLES = 4;

export function mountReplay(ctx, body) {
  const { store, actions } = ctx;
  let snaps = null;        // {answer: {snapshots}, session}
  let pending = null;
  let pos = null;          // index into the snapshots; null follows the latest
  const gridCache = new Map();

  // --- timeline -------------------------------------------------------------------------------
  const slider = el("input", { type: "range", min: "0", max: "0", step: "1", value: "0", "data-teach-control": "replay" });
  const stepOut = el("output", { class: "teach-replay-step", "data-role": "replay-step" });
  const nowBtn = el("button", { type: "button", class: "btn btn-small", "data-teach-action": "replay-now" });
  // a new session from the snapshot shown (POST /branch): weights, optimiser state, minibatch position
  const branchBtn = el("button", { type: "button", class: "btn btn-small", "data-teach-action": "branch",
    "i18n-title": ["branch.actionTitle", "Start a new session from this snapshot (weights, optimiser state and minibatch position)"] },
  el("span", { i18n: ["branch.action", "Continue from here"] }));
  branchBtn.addEventListener("click", () => {
    const step = Number(replayRoot.dataset.step);
    if (Number.isInteger(step)) actions.branchFrom(step);
  });
  slider.addEventListener("input", () => { pos = Number(slider.value); drawSnapshot(); });
  nowBtn.addEventListener("click", () => { pos = null; drawSnapshot(); });
  const timelineTitle = el("h3", { class: "teach-h" });
  const timeline = el("div", { class: "teach-timeline" }, slider, stepOut, nowBtn, branchBtn);

  const netBox = el("div", { class: "teach-replay-net", "data-replay": "network" });
  const svg = d3.select(netBox).append("svg");
  const gE = svg.append("g");
  const gN = svg.append("g");
  const canvas = el("canvas", { class: "teach-replay-canvas", "data-replay": "boundary" });
  const curveSvg = d3.select(el("div")).append("svg").attr("class", "teach-replay-curve");
  const plane = el("div", { class: "teach-replay-plane" }, canvas, curveSvg.node());
  const metrics = el("dl", { class: "kv teach-replay-metrics", "data-replay": "metrics" });
  const lossBox = el("div", { class: "teach-chart-box" });
  const replayNote = el("p", { class: "hint" });
  const replayRoot = el("div", { class: "teach-replay", "data-teach": "replay" },
    timelineTitle, timeline, netBox, el("div", { class: "teach-replay-row" }, plane, metrics), lossBox, replayNote);
  const lossChart = createLineChart(lossBox, { height: 90, logY: false, margin: { l: 46, r: 10, b: 20 }, yTickCount: 2 });

  // --- phases -----------------------------------------------------------------------------------
  let ph = { phase: 0 };
  const phaseTitle = el("h3", { class: "teach-h" });
  const pills = el("ol", { class: "teach-phases", "data-role": "phase-indicator" });
  const nextBtn = el("button", { type: "button", class: "btn btn-small btn-primary", "data-teach-action": "phase-next" });
  const phaseBody = el("div", { class: "teach-phase-body" });
  const phaseRoot = el("section", { class: "teach-section teach-phase", "data-teach": "phases" }, phaseTitle, el("div", { class: "teach-row" }, pills, nextBtn), phaseBody);
  nextBtn.addEventListener("click", async () => {
    await nextPhase();
    phaseRoot.scrollIntoView({ block: "nearest" }); // the phase's numbers, in view in the column
  });

  body.append(replayRoot, phaseRoot);

  // --- snapshots ------------------------------------------------------------------------------

  function fetchSnapshots(state) {
    if (state.playing || (pending && pending === state.session)) return;
    pending = state.session;
    actions.snapshots().then((r) => {
      if (pending === state.session) pending = null;
      if (r) {
        snaps = r;
        gridCache.clear();
      }
      if (ctx.isActive("replay")) render();
    });
  }

  function current() {
    const list = snaps?.answer?.snapshots ?? [];
    if (!list.length) return null;
    const i = pos === null ? list.length - 1 : Math.min(pos, list.length - 1);
    return { i, snap: list[i], list };
  }

  function historyAt(step) {
    const h = store.state.history;
    const i = h.step.indexOf(step);
    if (i < 0) return null;
    return { train_loss: h.train_loss[i], test_loss: h.test_loss[i], train_accuracy: h.train_accuracy[i], test_accuracy: h.test_accuracy[i] };
  }

  function drawNetwork(snap, list, net) {
    const w = netBox.clientWidth || 320;
    const h = 128;
    svg.attr("width", w).attr("height", h);
    const layers = net.layers;
    const L = layers.length - 1;
    const xs = layers.map((_, l) => 14 + ((w - 28) * l) / Math.max(1, L));
    const ys = layers.map((n) => Array.from({ length: n }, (_, j) => (h * (j + 0.5)) / n));
    const r = Math.max(2.5, Math.min(6, (h / Math.max(...layers)) * 0.3));
    // one colour scale over the whole run, so growing weights look it
    let max = 0;
    for (const s of list) for (const W of s.weights) for (const row of W) for (const v of row) max = Math.max(max, Math.abs(v));
    const edges = [];
    snap.weights.forEach((W, i) => W.forEach((row, j) => row.forEach((v, k) => {
      edges.push({ id: `${i + 1}:${j}:${k}`, v, x1: xs[i], y1: ys[i][k], x2: xs[i + 1], y2: ys[i + 1][j] });
    })));
    gE.selectAll("line").data(edges.length <= 3000 ? edges : [], (d) => d.id).join("line")
      .attr("data-replay-edge", (d) => d.id).attr("data-w", (d) => exact(d.v))
      .attr("x1", (d) => d.x1).attr("y1", (d) => d.y1).attr("x2", (d) => d.x2).attr("y2", (d) => d.y2)
      .attr("stroke", (d) => signed(d.v, max)).attr("stroke-width", (d) => 0.5 + 3.5 * Math.min(1, Math.abs(d.v) / (max || 1)));
    const nodes = layers.flatMap((n, l) => ys[l].map((y, j) => ({ id: `${l}:${j}`, x: xs[l], y })));
    gN.selectAll("circle").data(nodes, (d) => d.id).join("circle")
      .attr("cx", (d) => d.x).attr("cy", (d) => d.y).attr("r", r).attr("class", "teach-replay-node");
  }

  function drawPlane(snap, net, state) {
    const b = state.boundary;
    const cls = state.session.dataset.kind === "classification";
    const range = cls ? { lo: 0, mid: 0.5, hi: 1 } : { lo: -1, mid: 0, hi: 1 };
    if (!b?.inputs) {
      canvas.hidden = true;
      curveSvg.attr("display", "none");
      delete canvas.dataset.outputSum;
      return;
    }
    const key = `${snap.step}:${b.step}:${b.resolution}`;
    let values = gridCache.get(key);
    if (!values) {
      values = forwardGrid(net, snap.weights, snap.biases, b.inputs);
      gridCache.set(key, values);
    }
    let total = 0;
    for (const v of values) total += v;
    canvas.dataset.outputSum = exact(total);
    canvas.dataset.step = String(snap.step);
    canvas.dataset.resolution = String(b.resolution);
    // the training points on top, so the fit can be judged
    const d = state.session.dataset;
    const W = 128, H = 128;
    const sx = d3.scaleLinear().domain(b.domain[0]).range([2, W - 2]);
    curveSvg.attr("width", W).attr("height", H);
    let points;
    let sy;
    if (b.dims === 2) {
      canvas.hidden = false;
      paintHeatmap(canvas, b, values, (v) => v, range, `${key}:${state.session.id}`);
      sy = d3.scaleLinear().domain(b.domain[1]).range([H - 2, 2]);
      points = d.x.map((x, i) => ({ x: x[0], y: x[1], c: classColor(labelOf(d.y[i])) }));
      curveSvg.selectAll("path").remove();
    } else {
      canvas.hidden = true;
      const ext = d3.extent([...values, ...d.y.map((r) => r[0]), -1, 1]);
      sy = d3.scaleLinear().domain(ext).range([H - 2, 2]);
      const xs = (i) => b.domain[0][0] + ((b.domain[0][1] - b.domain[0][0]) * i) / Math.max(1, values.length - 1);
      curveSvg.selectAll("path").data([values]).join("path").attr("fill", "none").attr("stroke", "#1f2a3a").attr("stroke-width", 1.8)
        .attr("d", (v) => d3.line()(Array.from(v, (y, i) => [sx(xs(i)), sy(y)])));
      points = d.x.map((x, i) => ({ x: x[0], y: d.y[i][0], c: "#12707f" }));
    }
    curveSvg.attr("display", null).selectAll("circle").data(points).join("circle")
      .attr("class", "teach-replay-point").attr("r", 1.7)
      .attr("cx", (p) => sx(p.x)).attr("cy", (p) => sy(p.y)).attr("fill", (p) => p.c);
  }

  function labelOf(row) {
    return row.length > 1 ? row.indexOf(Math.max(...row)) : row[0];
  }

  function drawSnapshot() {
    const state = store.state;
    const c = current();
    if (!c || !state.session || snaps.session.id !== state.session.id) return;
    const { i, snap, list } = c;
    const net = state.session.network;
    if (snap.weights.length !== net.weights.length) return;
    slider.max = String(list.length - 1);
    slider.value = String(i);
    replayRoot.dataset.step = String(snap.step);
    replayRoot.dataset.index = String(i);
    stepOut.textContent = t("teach.replay.stepOf", "step {s} · snapshot {i} of {n}", { s: snap.step, i: i + 1, n: list.length });
    nowBtn.disabled = i === list.length - 1;
    drawNetwork(snap, list, net);
    drawPlane(snap, net, state);
    const m = historyAt(snap.step);
    const row = (k, v, attr) => [el("dt", { text: k }), el("dd", { "data-replay-metric": attr, "data-value": exact(v), text: v === null || v === undefined ? "–" : attr.includes("accuracy") ? `${(100 * v).toFixed(1)}%` : textNum(v, 4) })];
    metrics.replaceChildren(
      ...row(t("teach.replay.trainLoss", "train loss"), m?.train_loss, "train_loss"),
      ...row(t("teach.replay.testLoss", "test loss"), m?.test_loss, "test_loss"),
      ...row(t("teach.replay.trainAcc", "train acc"), m?.train_accuracy, "train_accuracy"),
      ...row(t("teach.replay.testAcc", "test acc"), m?.test_accuracy, "test_accuracy"));
    const h = state.history;
    const n = h.step.length;
    const stride = Math.max(1, Math.ceil(n / 300));
    const pts = [];
    for (let s = 0; s < n; s += stride) pts.push([h.step[s], h.train_loss[s]]);
    if (n && (n - 1) % stride) pts.push([h.step[n - 1], h.train_loss[n - 1]]);
    lossChart.update({ series: [{ id: "train", color: "#1f2a3a", points: pts }], marker: snap.step, emptyText: "" });
    replayNote.textContent = snap.step === 0
      ? t("teach.replay.initial", "Step 0: the initial weights, before any update.")
      : t("teach.replay.note", "Weights as stored at step {s}; the output plane is computed here from them on the API's grid of features.", { s: snap.step });
  }

  // --- phases of one update -----------------------------------------------------------------

  async function nextPhase() {
    const state = store.state;
    if (state.playing || !state.session) return;
    if (ph.phase === 0 || ph.phase === 4) {
      ph = { phase: 0, loading: true };
      renderPhases();
      const r = await actions.previewStep();
      if (!r || r.session !== store.state.session) {
        ph = { phase: 0 };
      } else {
        ph = { phase: 1, preview: r };
        actions.setEdgeMode("weight");
      }
    } else if (ph.phase === 1) {
      ph = { ...ph, phase: 2 };
    } else if (ph.phase === 2) {
      const p = ph.preview;
      actions.showGradient({ source: "minibatch", indices: p.answer.indices, step: p.session.step, weights: p.answer.layers.map((l) => l.grad_weights), biases: p.answer.layers.map((l) => l.grad_biases) });
      ph = { ...ph, phase: 3 };
    } else if (ph.phase === 3) {
      const predicted = updateMatrices(ph.preview.session, ph.preview.answer);
      const before = store.state.session;
      ph = { ...ph, applying: true };
      renderPhases();
      await actions.step();
      const after = store.state.session;
      const u = store.state.update;
      const applied = after !== before && u?.step === before.step + 1 ? u : null;
      ph = { ...ph, phase: 4, applying: false, predicted, applied, after };
      if (applied) actions.setEdgeMode("update");
    }
    renderPhases();
  }

  function pillsFor(active) {
    pills.replaceChildren(...PHASES.map((p, i) => el("li", {
      class: i + 1 === active ? "is-active" : i + 1 < active ? "is-done" : "",
      "data-phase": p, "aria-current": i + 1 === active ? "step" : null,
      text: t(`teach.phase.${p}`, p === "forward" ? "Forward" : p === "loss" ? "Loss" : p === "backward" ? "Backward" : "Update"),
    })));
  }

  function math(line, latex) {
    return renderTex(el("div", { class: "teach-math", "data-line": line }), latex, { display: true });
  }

  function frob(M) {
    let s = 0;
    for (const row of M) for (const v of row) s += v * v;
    return Math.sqrt(s);
  }

  function renderPhases() {
    const state = store.state;
    phaseTitle.textContent = t("teach.phase.title", "One update, in phases");
    // another step, an edit or a new network makes the previewed minibatch stale
    if (ph.phase >= 1 && ph.phase <= 3 && !ph.applying && ph.preview.session !== state.session) {
      ph = { phase: 0, note: t("teach.phase.stale", "The network changed meanwhile; start again.") };
    }
    phaseRoot.dataset.phase = ph.phase === 0 ? "" : PHASES[ph.phase - 1];
    pillsFor(ph.phase);
    const labels = [t("teach.phase.start", "Start: forward ▸"), t("teach.phase.toLoss", "Loss ▸"), t("teach.phase.toBackward", "Backward ▸"), t("teach.phase.toUpdate", "Update ▸"), t("teach.phase.again", "Next update ▸")];
    nextBtn.textContent = labels[ph.phase];
    nextBtn.disabled = !!(state.playing || ph.loading || ph.applying);
    const parts = [];
    if (ph.phase === 0) {
      parts.push(el("p", { class: "hint", text: ph.note ?? t("teach.phase.intro", "Walk through the update the next Step makes, on its minibatch: forward pass, loss, backward pass, then the optimiser's update.") }));
    } else {
      const { answer: p, session } = ph.preview;
      const idx = p.indices ?? [];
      const B = idx.length;
      const y = session.dataset.y;
      const L = session.network.layers.length - 1;
      if (ph.phase === 1) {
        parts.push(el("p", { class: "hint", text: t("teach.phase.forwardText", "The next minibatch: {b} training samples, each sent forward layer by layer:", { b: B }) }));
        parts.push(math("forward", `z^l_b = W^l a^{l-1}_b + b^l,\\quad a^l_b = \\sigma_l(z^l_b),\\quad l = 1, \\dots, ${L}`));
        const rows = idx.slice(0, SHOWN_SAMPLES).map((sample, b) => el("tr", { "data-sample": sample, "data-output": exact(p.layers[L - 1].a[b][0]) },
          el("td", { class: "mono", text: `#${sample}` }),
          el("td", { class: "num", text: `(${p.x_raw[b].map((v) => textNum(v, 3)).join(", ")})` }),
          el("td", { class: "num", text: p.layers[L - 1].a[b].map((v) => textNum(v, 4)).join(", ") }),
          el("td", { class: "num", text: (y[sample] ?? []).map((v) => textNum(v, 3)).join(", ") })));
        parts.push(el("table", { class: "teach-table" },
          el("thead", {}, el("tr", {}, ...["b", "x", "aᴸ", "y"].map((h) => el("th", { text: h })))),
          el("tbody", {}, ...rows)));
        if (B > SHOWN_SAMPLES) parts.push(el("p", { class: "hint", text: t("teach.phase.more", "… and {n} more.", { n: B - SHOWN_SAMPLES }) }));
      } else if (ph.phase === 2) {
        const cs = p.sample_losses ?? [];
        const shown = cs.length <= 4 ? cs.map((c) => texNum(c)).join(" + ") : `${cs.slice(0, 2).map((c) => texNum(c)).join(" + ")} + \\cdots + ${texNum(cs[cs.length - 1])}`;
        phaseRoot.dataset.loss = exact(p.loss);
        parts.push(math("batch-loss", `\\begin{aligned}C &= \\tfrac{1}{B}\\sum_{b=1}^{B} C_b \\\\ &= \\tfrac{1}{${B}}\\big(${shown}\\big) \\\\ &= ${texNum(p.loss)}\\end{aligned}`));
        parts.push(el("p", { class: "hint", text: t("teach.phase.lossText", "Each sample's loss ({loss}) enters the mean; the step makes this mean smaller.", { loss: session.network.loss }) }));
      } else if (ph.phase === 3) {
        parts.push(el("p", { class: "hint", text: t("teach.phase.backwardText", "δ starts from the loss at the output and runs back to layer 1; the gradient averages over the minibatch. The edges now show this minibatch's ∂C/∂W.") }));
        parts.push(math("backward", `\\begin{aligned}\\delta^l_b &= (W^{l+1})^{\\top} \\delta^{l+1}_b \\odot \\sigma_l'(z^l_b) \\\\ \\frac{\\partial C}{\\partial W^l} &= \\tfrac{1}{B} \\textstyle\\sum_b \\delta^l_b\\,(a^{l-1}_b)^{\\top}\\end{aligned}`));
        const rows = p.layers.map((layer, l) => el("tr", { "data-layer": l + 1, "data-grad-norm": exact(frob(layer.grad_weights)) },
          el("td", { text: String(l + 1) }),
          el("td", { class: "num", text: textNum(frob(layer.delta) / Math.sqrt(B), 3) }),
          el("td", { class: "num", text: textNum(frob(layer.grad_weights), 3) })));
        parts.push(el("table", { class: "teach-table" },
          el("thead", {}, el("tr", {}, el("th", { text: "l" }), el("th", { text: "‖δˡ‖/√B" }), el("th", { text: "‖∂C/∂Wˡ‖" }))),
          el("tbody", {}, ...rows)));
      } else if (ph.phase === 4) {
        const opt = session.training.optimizer;
        const formula = state.catalog?.optimizers?.find((o) => o.name === opt)?.formula;
        if (formula) parts.push(math("optimizer", `${formula}\\quad(\\eta = ${texFactor(session.training.learning_rate)})`));
        const pred = ph.predicted;
        const app = ph.applied;
        if (!app) {
          parts.push(noteEl(t("teach.phase.notApplied", "The step was not applied (see the message above).")));
        } else {
          const sameBatch = JSON.stringify(store.state.gradient?.indices ?? idx) === JSON.stringify(idx);
          const rows = app.weights.map((W, l) => el("tr", { "data-layer": l + 1, "data-applied-norm": exact(frob(W)), "data-predicted-norm": pred ? exact(frob(pred.weights[l])) : "" },
            el("td", { text: String(l + 1) }),
            el("td", { class: "num", text: pred ? textNum(frob(pred.weights[l]), 4) : "–" }),
            el("td", { class: "num", text: textNum(frob(W), 4) })));
          parts.push(el("table", { class: "teach-table" },
            el("thead", {}, el("tr", {}, el("th", { text: "l" }), el("th", { text: t("teach.phase.predicted", "‖ΔWˡ‖ predicted") }), el("th", { text: t("teach.phase.applied", "applied") }))),
            el("tbody", {}, ...rows)));
          if (pred) {
            const d = maxDiff(pred.weights, app.weights);
            phaseRoot.dataset.maxDiff = exact(d);
            parts.push(el("p", { class: `teach-verdict ${d <= 1e-12 ? "is-pass" : "is-fail"}`, "data-teach-verdict": d <= 1e-12 ? "pass" : "fail",
              text: t("teach.phase.compare", "Largest |predicted − applied| over all weights: {d}.", { d: textNum(d, 2) }) }));
            parts.push(el("p", { class: "hint", text: pred.source === "server"
              ? t("teach.phase.fromServer", "Predicted: the update the API reported for this minibatch before the step.")
              : t("teach.phase.fromPage", "Predicted on the page as −η·∂C/∂W (the server's answer carried no update).") }));
          } else {
            parts.push(noteEl(t("teach.phase.noPrediction", "The server reports no update before a step for {opt}; the applied one is shown.", { opt })));
          }
          parts.push(el("p", { class: "hint", text: sameBatch
            ? t("teach.phase.sameBatch", "Step {s} used the same minibatch; the edges show ΔW.", { s: ph.after.step })
            : t("teach.phase.otherBatch", "Step {s} used another minibatch than the preview.", { s: ph.after.step }) }));
        }
      }
    }
    if (state.playing) parts.push(noteEl(t("teach.phase.playing", "Pause training to step through an update.")));
    phaseBody.replaceChildren(...parts);
  }

  function render() {
    const state = store.state;
    if (!state.session) return;
    timelineTitle.textContent = t("teach.replay.title", "Timeline of stored snapshots");
    nowBtn.textContent = t("teach.replay.now", "Now");
    slider.setAttribute("aria-label", t("teach.replay.slider", "Snapshot to show"));
    const net = state.session.network;
    const params = net.layers.slice(1).reduce((acc, n, i) => acc + n * net.layers[i] + (net.bias === false ? 0 : n), 0);
    const stored = Math.min(state.session.step + 1, state.catalog?.limits?.max_snapshots ?? 200);
    if (params * stored > MAX_NUMBERS) {
      stepOut.textContent = "";
      replayNote.textContent = t("teach.replay.tooBig", "This network's {n} stored snapshots hold {m} numbers, too many to load into the page.", { n: stored, m: (params * stored).toLocaleString("en") });
      renderPhases();
      return;
    }
    if (!snaps || snaps.session !== state.session) fetchSnapshots(state);
    if (snaps && snaps.session.id === state.session.id) {
      drawSnapshot();
    } else if (!snaps) {
      stepOut.textContent = state.playing ? t("teach.replay.playing", "Training is running: the snapshots load when it pauses.") : "…";
    }
    renderPhases();
  }

  return { keys: ["session", "history", "boundary", "playing", "update"], render };
}
