// Everything the page does to the server, in one place. Every request goes
// through one serial queue, so there is never more than one in flight (play
// mode, button clicks and edits all wait their turn). Errors become "error"
// events that the banner shows; nothing fails silently.

import { api } from "./api.js";
import { t } from "./i18n.js";
import { emptyHistory } from "./store.js";
import {
  clone, datasetEntry, datasetKind, dropWeights, explicitDataset, fitNetworkToData, inputDim,
  isBuiltinDataset, specFromSession,
} from "./spec.js";

/** Speed control: steps per request, and a pause between requests for the slowest setting. */
export const SPEEDS = [
  { steps: 1, interval: 700, label: "slow" },
  { steps: 1, interval: 0, label: "×1" },
  { steps: 3, interval: 0, label: "×3" },
  { steps: 10, interval: 0, label: "×10" },
  { steps: 30, interval: 0, label: "×30" },
  { steps: 100, interval: 0, label: "×100" },
  { steps: 300, interval: 0, label: "×300" },
];

const BOUNDARY_RESOLUTION = 40;
const BOUNDARY_INTERVAL_MS = 120; // while playing, refresh the heatmaps at most this often
const FORWARD_INTERVAL_MS = 250;  // while streaming, refresh the sample's forward pass (a REST call) at most this often

/** A typed array (a stream frame's row) as a plain array, which the rest of the page expects. */
function plain(values) {
  const out = new Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i];
  return out;
}

/** after − before, element by element (ΔW of a row of weights). */
function difference(after, before) {
  const out = new Array(after.length);
  for (let i = 0; i < after.length; i++) out[i] = after[i] - before[i];
  return out;
}

export function createActions(store) {
  let queue = Promise.resolve();
  let pendingCount = 0;
  let lastBoundaryAt = 0;
  let animateSeq = 0;
  let lastForwardAt = 0;

  const st = () => store.state;

  /** Run `job` after every earlier job; report its error in the page. */
  function run(job) {
    pendingCount += 1;
    store.set({ busy: true });
    const p = queue.then(job).catch(async (err) => {
      if (st().playing) store.set({ playing: false });
      store.emit("error", err);
      // the session is gone (e.g. a server with a fresh database): carry on with a new one
      // (not when following someone else's session read-only: that page must not make its own)
      if (err?.status === 404 && st().spec && st().session && !st().following) {
        try {
          await createFromSpec(st().spec);
          store.emit("error", { level: "info", title: t("toast.newSession", "New session"), message: t("toast.newSessionText", "The server no longer knew this session, so the page created a new one with the same settings.") });
        } catch (again) {
          store.emit("error", again);
        }
      }
    }).finally(() => {
      pendingCount -= 1;
      if (pendingCount === 0) store.set({ busy: false });
    });
    queue = p;
    return p;
  }

  const sessionId = () => st().session?.id;

  function splitSize(session, split) {
    const d = session?.dataset;
    if (!d) return 0;
    return (split === "test" ? d.test_x : d.x)?.length ?? 0;
  }

  function validSample(session, sample) {
    if (sample && sample.index < splitSize(session, sample.split)) return sample;
    return { split: "train", index: 0 };
  }

  // --- refreshing what the views draw ---------------------------------------------------------

  /** The forward pass of the selected sample, as a state patch (or null). */
  async function forwardPatch(session, animate) {
    const sample = validSample(session, st().sample);
    if (!splitSize(session, sample.split)) return null;
    const r = await api.forward(session.id, { indices: [sample.index], split: sample.split });
    return { sample, forward: { ...r, sample, step: session.step, animate, seq: ++animateSeq } };
  }

  /** A POST /backward answer for the selected sample as the forward values and gradient it gives. */
  function sampleTracePatch(r, sample, pageStep, animate, seq) {
    const step = r.step ?? pageStep; // while streaming, the server may be a frame ahead of the page
    return {
      sample,
      forward: { x: r.x, x_raw: r.x_raw, layers: r.layers.map((l) => ({ z: l.z, a: l.a })), sample, step, animate: false, seq },
      gradient: { source: "sample", sample, step, weights: r.layers.map((l) => l.grad_weights), biases: r.layers.map((l) => l.grad_biases) },
      backward: { ...r, sample, step, animate, seq },
    };
  }

  /**
   * While streaming: the sample's forward pass, or, with the edges on ∂C/∂W, its backward
   * pass, so the edges show the gradient at the current weights (the frames carry none).
   */
  async function fetchLive() {
    if (st().edgeMode !== "grad") return fetchForward(false);
    const s = st().session;
    const sample = validSample(s, st().sample);
    if (!splitSize(s, sample.split)) return;
    const r = await api.backward(s.id, { indices: [sample.index], split: sample.split });
    if (sessionId() === s.id) store.set(sampleTracePatch(r, sample, s.step, false, ++animateSeq));
  }

  async function boundaryPatch(session) {
    lastBoundaryAt = performance.now();
    const r = await api.boundary(session.id, { resolution: BOUNDARY_RESOLUTION, neurons: true });
    return { boundary: { ...r, step: session.step } };
  }

  async function fetchForward(animate) {
    const s = st().session;
    const patch = await forwardPatch(s, animate);
    if (patch && sessionId() === s.id) store.set(patch);
  }

  async function fetchBoundary() {
    const s = st().session;
    const patch = await boundaryPatch(s);
    if (sessionId() === s.id) store.set(patch);
  }

  async function refresh({ animate = false } = {}) {
    await fetchForward(animate);
    await fetchBoundary();
  }

  function appendHistory(records) {
    store.set({ history: withRecords(st().history, records) });
  }

  /** A copy of history h with the metrics records appended. */
  function withRecords(h, records) {
    const next = { ...h };
    for (const key of Object.keys(h)) next[key] = h[key].slice();
    for (const rec of records) {
      if (!rec || rec.step === undefined) continue;
      // a reset or a new session starts over; keep steps strictly increasing
      const last = next.step.length ? next.step[next.step.length - 1] : -1;
      if (rec.step <= last) continue;
      for (const key of Object.keys(next)) next[key].push(rec[key] ?? null);
    }
    return next;
  }

  function columnsToRecords(cols) {
    if (!cols?.step) return [];
    return cols.step.map((step, i) => {
      const rec = { step };
      for (const [k, v] of Object.entries(cols)) if (Array.isArray(v)) rec[k] = v[i];
      return rec;
    });
  }

  function reportDivergence(r) {
    if (r?.diverged) {
      store.set({ playing: false });
      store.emit("error", { message: r.message || t("toast.divergedText", "Training diverged: the update was not applied. Try a smaller learning rate."), title: t("toast.diverged", "Diverged") });
    }
  }

  // --- sessions ------------------------------------------------------------------------------

  async function createFromSpec(spec) {
    const s = await api.create(spec);
    store.set({
      spec: clone(spec), session: s, history: emptyHistory(), forward: null, backward: null,
      gradient: null, update: null, boundary: null, selection: null, edgeMode: "weight",
      sample: validSample(s, st().sample),
    });
    if (s.metrics) appendHistory([s.metrics]);
    await refresh();
    return s;
  }

  async function loadSession(id) {
    const s = await api.get(id);
    const spec = specFromSession(s, st().catalog);
    store.set({ spec, session: s, history: emptyHistory(), forward: null, backward: null, gradient: null, update: null, boundary: null, selection: null });
    const m = await api.metrics(id, 0);
    appendHistory(columnsToRecords(m));
    await refresh();
  }

  /** Apply `mutate(spec)` to a copy of the current spec and create a new session from it. */
  function rebuild(mutate) {
    store.set({ playing: false });
    return run(async () => {
      const before = st().spec;
      const spec = clone(before);
      mutate(spec);
      const structural =
        JSON.stringify(spec.network.layers) !== JSON.stringify(before.network.layers) ||
        spec.network.init !== before.network.init || spec.network.seed !== before.network.seed ||
        JSON.stringify(spec.network.features) !== JSON.stringify(before.network.features);
      if (structural || !spec.network.weights) dropWeights(spec, st().catalog);
      try {
        await createFromSpec(spec);
      } catch (err) {
        store.set({ spec: clone(before) }); // the controls show the session in force again
        throw err;
      }
    });
  }

  /** A read in the queue for the teaching panels: {answer, session it was computed for}, or null. */
  function query(call) {
    return run(async () => {
      const s = st().session;
      const answer = await call(s.id);
      return sessionId() === s.id ? { answer, session: st().session } : null;
    });
  }

  return {
    run,

    /**
     * Load the catalog, then the default session; or, from a classroom link (classroom/),
     * a new session from a shared create request `spec`, or the session `follow` read-only.
     */
    init({ spec = null, follow = null } = {}) {
      return run(async () => {
        const catalog = await api.catalog();
        store.set({ catalog });
        if (follow) {
          store.set({ following: follow });
          await loadSession(follow);
          return;
        }
        if (spec) {
          try {
            await createFromSpec(clone(spec));
            return;
          } catch (err) {
            store.emit("error", { ...err, title: t("share.failed", "Shared link"), message: err.message });
          }
        }
        await createFromSpec(clone(catalog.defaults));
      });
    },

    loadSession: (id) => run(() => loadSession(id)),

    loadPreset(preset) {
      return run(async () => {
        store.set({ playing: false });
        await createFromSpec(clone(preset.request));
      });
    },

    /** Builder edits: any change to the network makes a new session (same data and training). */
    editNetwork(mutate) {
      return rebuild((spec) => {
        mutate(spec.network, spec);
        fitNetworkToData(spec, st().catalog);
      });
    },

    /** Data edits: a new built-in dataset (or parameters); the network adapts its input/output. */
    editDataset(params) {
      return rebuild((spec) => {
        const catalog = st().catalog;
        const oldKind = datasetKind(catalog, spec.dataset);
        const oldDim = inputDim(catalog, spec.dataset, st().session);
        const base = isBuiltinDataset(catalog, spec.dataset) ? spec.dataset : spec.dataset?.source ?? {};
        const entry = datasetEntry(catalog, { ...base, ...params });
        spec.dataset = { ...clone(base), ...params };
        delete spec.dataset.x; delete spec.dataset.y; delete spec.dataset.test_x; delete spec.dataset.test_y; delete spec.dataset.source;
        const kindChanged = entry ? entry.kind !== oldKind : false;
        const dimChanged = entry ? entry.input_dim !== oldDim : false;
        fitNetworkToData(spec, catalog, { kindChanged, dimChanged });
      });
    },

    patchTraining(patch) {
      return run(async () => {
        let s;
        try {
          s = await api.patchTraining(sessionId(), patch);
        } catch (err) {
          // the controls show the values in force again (they redraw when `training` is a new object)
          store.set({ session: { ...st().session, training: { ...st().session.training } } });
          throw err;
        }
        const spec = clone(st().spec);
        spec.training = { ...spec.training, ...patch };
        store.set({ session: s, spec });
      });
    },

    /** Click in the data plot: a new training point (label for classification, target for regression). */
    addPoint(x, y) {
      return run(async () => {
        const s = await api.addPoint(sessionId(), { x, y, split: "train" });
        const spec = clone(st().spec);
        spec.dataset = explicitDataset(s, spec, st().catalog);
        store.set({ session: s, spec });
        await fetchBoundary();
      });
    },

    selectSample(sample) {
      return run(async () => {
        store.set({ sample, backward: null });
        await fetchForward(false);
      });
    },

    select(selection) {
      store.set({ selection });
    },

    setEdgeMode(edgeMode) {
      store.set({ edgeMode });
    },

    forward() {
      return run(() => fetchForward(true));
    },

    backward() {
      return run(async () => {
        const s = st().session;
        const sample = validSample(s, st().sample);
        const r = await api.backward(s.id, { indices: [sample.index], split: sample.split });
        if (sessionId() !== s.id) return;
        store.set({ ...sampleTracePatch(r, sample, s.step, true, ++animateSeq), edgeMode: "grad" });
      });
    },

    step() {
      return run(async () => {
        const s = st().session;
        const r = await api.step(s.id, { steps: 1 });
        if (sessionId() !== s.id) return;
        reportDivergence(r);
        // a step's network has the weights; init, seed and features stay the session's
        const session = { ...s, step: r.step, network: { ...s.network, ...r.network }, metrics: r.metrics ?? s.metrics, dead: r.dead ?? s.dead };
        const patch = { session, backward: null };
        if (r.update) patch.update = { step: r.step, weights: r.update.weights, biases: r.update.biases, animate: true, seq: ++animateSeq, steps: 1 };
        if (r.trace?.layers) {
          patch.gradient = { source: "minibatch", indices: r.indices, step: s.step, weights: r.trace.layers.map((l) => l.grad_weights), biases: r.trace.layers.map((l) => l.grad_biases) };
          patch.lastStep = { before: s, answer: r }; // the step's full trace, for exports (classroom/)
        }
        if (st().edgeMode === "grad") patch.edgeMode = "weight";
        store.set(patch);
        appendHistory(r.history ? columnsToRecords(r.history) : [r.metrics]);
        // with more clicks queued, only the last step fetches the sample's values and heatmaps
        if (pendingCount <= 1) await refresh();
      });
    },

    /**
     * One request round of play mode (the loop in play.js awaits it before the next):
     * the steps, then the sample's forward pass and (at most every BOUNDARY_INTERVAL_MS)
     * the heatmaps, applied to the store at once so the views draw one frame per round.
     */
    playTick() {
      return run(async () => {
        if (!st().playing) return;
        const s = st().session;
        const speed = SPEEDS[st().speed] ?? SPEEDS[1];
        const before = s.network.weights;
        // with the edges on ∂C/∂W, single steps bring their minibatch's gradient along
        const wantTrace = st().edgeMode === "grad" && speed.steps === 1;
        const r = await api.step(s.id, { steps: speed.steps, trace: wantTrace });
        if (sessionId() !== s.id) return;
        const network = { ...s.network, ...r.network };
        const session = { ...s, step: r.step, network, metrics: r.metrics ?? s.metrics, dead: r.dead ?? s.dead };
        const steps = r.applied_steps ?? (r.applied === false ? 0 : 1);
        const update = r.update && steps === 1
          ? { step: r.step, weights: r.update.weights, biases: r.update.biases, steps: 1 }
          : { step: r.step, weights: network.weights.map((W, l) => W.map((row, j) => row.map((w, k) => w - before[l][j][k]))), biases: null, steps };
        const patch = {
          session, backward: null, update: { ...update, animate: false },
          ...(r.trace?.layers ? { gradient: { source: "minibatch", indices: r.indices, step: s.step, weights: r.trace.layers.map((l) => l.grad_weights), biases: r.trace.layers.map((l) => l.grad_biases) } } : {}),
          history: withRecords(st().history, r.history ? columnsToRecords(r.history) : [r.metrics]),
          ...(await forwardPatch(session, false)),
        };
        // paused meanwhile: this is the last round, so its grid is fetched whatever the interval
        // (the output panel's step must not stay behind the metrics')
        if (!st().playing || performance.now() - lastBoundaryAt >= BOUNDARY_INTERVAL_MS) Object.assign(patch, await boundaryPatch(session));
        if (sessionId() !== s.id) return;
        store.set(patch);
        reportDivergence(r);
      });
    },

    // --- play over the WebSocket (play-stream.js): frames applied like a REST step's answer ----

    /**
     * Apply one stream frame (stream.js) to the store, synchronously (the stream acks it after):
     * step, metrics row, weights, ΔW since the last frame and, when the frame has it, the grid.
     * The sample's forward pass (with the edges on ∂C/∂W, its backward pass) is refreshed
     * through the queue at most every FORWARD_INTERVAL_MS.
     */
    applyFrame(frame, sessionIdOfStream) {
      const s = st().session;
      if (!s || s.id !== sessionIdOfStream || !st().playing) return;
      const before = s.network.weights;
      const weights = frame.weights.map((W) => W.map(plain));
      const network = { ...s.network, weights, ...(frame.biases ? { biases: frame.biases.map(plain) } : {}) };
      const session = { ...s, step: frame.step, network, metrics: frame.metrics ?? s.metrics };
      const patch = {
        session, backward: null,
        update: { step: frame.step, weights: weights.map((W, l) => W.map((row, j) => difference(row, before[l][j]))), biases: null, steps: frame.steps, animate: false },
        history: withRecords(st().history, [frame.metrics]),
      };
      const b = frame.boundary;
      if (b) {
        // the /boundary answer's shape (flat row-major grids, one per input / neuron), as plain arrays
        patch.boundary = { dims: b.dims, resolution: b.resolution, domain: b.domain, output: plain(b.output), step: frame.step };
        if (b.neurons) {
          patch.boundary.inputs = b.inputs.map(plain);
          patch.boundary.neurons = b.neurons.map((layer) => layer.map(plain));
        } else if (st().boundary?.inputs) {
          // a grid without the neurons' (their maps are not drawn): the inputs' grids depend
          // on the features only, so the last ones still hold (they set the inputs' colours)
          patch.boundary.inputs = st().boundary.inputs;
        }
        lastBoundaryAt = performance.now();
      }
      store.set(patch);
      if (frame.diverged) reportDivergence(frame);
      if (pendingCount === 0 && performance.now() - lastForwardAt >= FORWARD_INTERVAL_MS) {
        lastForwardAt = performance.now();
        run(fetchLive);
      }
    },

    /**
     * After streaming: the session, its whole /metrics history (the stream stores one row
     * per frame past step 50, so the page's rows may differ) and the views, from the API.
     */
    resyncAfterStream(id) {
      return run(async () => {
        if (sessionId() !== id) return;
        const s = await api.get(id);
        const m = await api.metrics(id, 0);
        if (sessionId() !== id) return;
        store.set({ session: s, history: withRecords(emptyHistory(), columnsToRecords(m)), backward: null });
        await fetchForward(false);
        // the stream's last frame may have come without a grid: the output catches up with the step
        if (st().boundary?.step !== s.step) await fetchBoundary();
      });
    },

    /** The stream closed with 4404: the page's usual handling of a session the server no longer knows. */
    streamSessionGone(reason) {
      return run(() => {
        throw Object.assign(new Error(reason || "session not found"), { status: 404 });
      });
    },

    togglePlay() {
      store.set({ playing: !st().playing });
      if (!st().playing) run(() => fetchBoundary()); // final, exact heatmap for where it stopped
    },

    setSpeed(speed) {
      store.set({ speed });
    },

    reset() {
      return run(async () => {
        store.set({ playing: false });
        const s = await api.reset(sessionId());
        store.set({ session: s, history: emptyHistory(), backward: null, gradient: null, update: null });
        if (s.metrics) appendHistory([s.metrics]);
        await refresh({ animate: false });
      });
    },

    // --- teaching panels (views/teach/): reads in the same queue ------------------------------

    /** The selected sample's backward pass without animation or a change of edge mode (the inspector's numbers). */
    inspectSample() {
      return run(async () => {
        const s = st().session;
        const sample = validSample(s, st().sample);
        const r = await api.backward(s.id, { indices: [sample.index], split: sample.split });
        if (sessionId() !== s.id) return null;
        store.set(sampleTracePatch(r, sample, s.step, false, ++animateSeq));
        return r;
      });
    },

    /** A read for a teaching panel: {answer, session} with the session it was computed for, or null. */
    query: (call) => query(call),

    gradcheck(body) {
      return query((id) => api.gradcheck(id, body));
    },

    paths(body) {
      return query((id) => api.paths(id, body));
    },

    snapshots() {
      return query((id) => api.snapshots(id));
    },

    /** The next minibatch's trace (and the update, when the server sends it); nothing is consumed. */
    previewStep() {
      return query((id) => api.backward(id, {}));
    },

    /** Show a gradient on the edges (e.g. the previewed minibatch's) and switch them to ∂C/∂W. */
    showGradient(gradient) {
      store.set({ gradient, edgeMode: "grad" });
    },

    /** Paths the network view should emphasise, or null. */
    highlightPaths(paths) {
      store.set({ highlightPaths: paths });
    },

    /** Edit one weight or bias (PATCH /parameter); δ and gradients of the old value are dropped. */
    editParameter(edit) {
      return run(async () => {
        const s = await api.patchParameter(sessionId(), edit);
        store.set({ session: s, backward: null, gradient: null, update: null });
        await refresh({ animate: false });
      });
    },

    // --- classroom (classroom/): session files and following a session read-only --------------

    /** GET /export of the current session: a create request that reproduces it (it imports back). */
    exportSession() {
      return run(() => api.exportSession(sessionId()));
    },

    /** POST an exported session (or any create request) and show it, its loss history included. */
    importSession(doc) {
      store.set({ playing: false });
      return run(async () => {
        const s = await api.create(doc);
        await loadSession(s.id);
        return s;
      });
    },

    /**
     * One poll of the followed session (state.following): when it changed, its weights, metrics,
     * the sample's values and the heatmaps are fetched and drawn. Answers "gone" once it is deleted.
     */
    followTick() {
      return run(async () => {
        const id = st().following;
        if (!id) return "gone";
        let s;
        try {
          s = await api.get(id);
        } catch (err) {
          if (err?.status !== 404) throw err;
          store.emit("error", { title: t("follow.title", "Following"), message: t("follow.gone", "The followed session no longer exists.") });
          return "gone";
        }
        const cur = st().session;
        if (cur?.id === s.id && s.step === cur.step && s.updated_at === cur.updated_at) return "same";
        const h = st().history;
        const last = h.step.length ? h.step[h.step.length - 1] : -1;
        const restart = cur?.id !== s.id || s.step < cur.step || s.step < last; // a reset starts over
        const m = await api.metrics(id, restart ? 0 : last + 1);
        if (st().following !== id) return "gone";
        store.set({
          session: s, spec: specFromSession(s, st().catalog), backward: null, gradient: null, update: null,
          history: withRecords(restart ? emptyHistory() : h, columnsToRecords(m)),
        });
        await refresh();
        return "changed";
      });
    },
  };
}
