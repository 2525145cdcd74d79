// Training: one Step, Play over REST (one request round per tick of ../play.js) and Play over
// the WebSocket (frames from ../play-stream.js), with the speed control they share.

import { divergenceText } from "../refusals.js";
import { api } from "../api.js";
import { t } from "../i18n.js";
import { emptyHistory } from "../store.js";
import { columnsToRecords, framePatch, stepPatch, stepRecords, withRecords } from "../patches.js";

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

const BOUNDARY_INTERVAL_MS = 120; // while playing, refresh the heatmaps at most this often
const FORWARD_INTERVAL_MS = 250;  // while streaming, refresh the sample's forward pass (a REST call) at most this often

/** @param {import("./context.js").Context} ctx */
export function playActions({ store, st, sessionId, run, pending, reads }) {
  let lastForwardAt = 0;

  /** @param {{diverged?: boolean, message?: string} | null | undefined} r */
  function reportDivergence(r) {
    if (r?.diverged) {
      store.set({ playing: false });
      const s = st().session;
      store.emit("error", { message: divergenceText((s?.step ?? 0) + 1, s?.training?.learning_rate), title: t("toast.diverged", "Diverged") });
    }
  }

  return {
    step() {
      return run(async () => {
        const s = st().session;
        const r = await api.step(s.id, { steps: 1 });
        if (sessionId() !== s.id) return;
        reportDivergence(r);
        /** @type {Record<string, any>} */
        const patch = stepPatch(s, r, true, reads.nextSeq());
        if (!r.update) delete patch.update; // a diverged step changed nothing: the last update stays shown
        if (r.trace?.layers) patch.lastStep = { before: s, answer: r }; // the step's full trace, for exports (classroom/)
        if (st().edgeMode === "grad") patch.edgeMode = "weight";
        store.set(patch);
        store.set({ history: withRecords(st().history, stepRecords(r)) });
        // with more clicks queued, only the last step fetches the sample's values and heatmaps
        if (pending() <= 1) await reads.refresh();
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
        // with the edges on ∂C/∂W, single steps bring their minibatch's gradient along
        const wantTrace = st().edgeMode === "grad" && speed.steps === 1;
        const r = await api.step(s.id, { steps: speed.steps, trace: wantTrace });
        if (sessionId() !== s.id) return;
        const stepped = stepPatch(s, r, false);
        const patch = {
          ...stepped,
          history: withRecords(st().history, stepRecords(r)),
          ...(await reads.forwardPatch(stepped.session, false)),
        };
        // paused meanwhile: this is the last round, so its grid is fetched whatever the interval
        // (the output panel's step must not stay behind the metrics')
        if (!st().playing || reads.sinceBoundary() >= BOUNDARY_INTERVAL_MS) Object.assign(patch, await reads.boundaryPatch(stepped.session));
        if (sessionId() !== s.id) return;
        store.set(patch);
        reportDivergence(r);
      });
    },

    /**
     * Apply one stream frame (stream.js) to the store, synchronously (the stream acks it after).
     * The sample's forward pass (with the edges on ∂C/∂W, its backward pass) is refreshed
     * through the queue at most every FORWARD_INTERVAL_MS.
     * @param {Parameters<typeof framePatch>[1] & {diverged?: boolean, message?: string}} frame
     * @param {string} sessionIdOfStream
     */
    applyFrame(frame, sessionIdOfStream) {
      const s = st().session;
      if (!s || s.id !== sessionIdOfStream || !st().playing) return;
      if (frame.boundary) reads.boundaryArrived();
      store.set(framePatch(s, frame, st().history, st().boundary));
      if (frame.diverged) reportDivergence(frame);
      if (pending() === 0 && performance.now() - lastForwardAt >= FORWARD_INTERVAL_MS) {
        lastForwardAt = performance.now();
        run(reads.fetchLive);
      }
    },

    /**
     * After streaming: the session, its whole /metrics history (the stream stores one row
     * per frame past step 50, so the page's rows may differ) and the views, from the API.
     * @param {string} id
     */
    resyncAfterStream(id) {
      return run(async () => {
        if (sessionId() !== id) return;
        const s = await api.get(id);
        const m = await api.metrics(id, 0);
        if (sessionId() !== id) return;
        store.set({ session: s, history: withRecords(emptyHistory(), columnsToRecords(m)), backward: null });
        await reads.fetchForward(false);
        // the stream's last frame may have come without a grid: the output catches up with the step
        if (st().boundary?.step !== s.step) await reads.fetchBoundary();
      });
    },

    /**
     * The stream closed with 4404: the page's usual handling of a session the server no longer knows.
     * @param {string} [reason]
     */
    streamSessionGone(reason) {
      store.set({ playing: false });
      return run(() => {
        throw Object.assign(new Error(reason || "session not found"), { status: 404 });
      });
    },

    /**
     * The stream paused itself (e.g. training diverged): Play stops with the server's message.
     * @param {string} [message]
     */
    streamDiverged(message) {
      reportDivergence({ diverged: true, message });
    },

    togglePlay() {
      store.set({ playing: !st().playing });
      if (!st().playing) run(() => reads.fetchBoundary()); // final, exact heatmap for where it stopped
    },

    /** @param {number} speed  an index into SPEEDS */
    setSpeed(speed) {
      store.set({ speed });
    },
  };
}
