// The reads that keep the views current: the selected sample's forward (or backward) pass
// and the decision-boundary grids, fetched for the session they were asked for and applied
// only if it is still the page's session.

import { api } from "../api.js";
import { sampleTracePatch, splitSize, validSample } from "../patches.js";
import { planeOf } from "../own-data.js";

/** @typedef {import("../store.js").Store} Store */

const BOUNDARY_RESOLUTION = 40;

/** @param {Store} store */
export function createRefresh(store) {
  let animateSeq = 0;
  let lastBoundaryAt = 0;
  const st = () => store.state;
  const sessionId = () => st().session?.id;

  /** The next animation sequence number (a view animates each pass once). */
  const nextSeq = () => ++animateSeq;

  /**
   * The forward pass of the selected sample, as a state patch (or null).
   * @param {any} session
   * @param {boolean} animate
   */
  async function forwardPatch(session, animate) {
    const sample = validSample(session, st().sample);
    if (!splitSize(session, sample.split)) return null;
    const r = await api.forward(session.id, { indices: [sample.index], split: sample.split });
    return { sample, forward: { ...r, sample, step: session.step, animate, seq: nextSeq() } };
  }

  /** @param {any} session */
  async function boundaryPatch(session) {
    lastBoundaryAt = performance.now();
    // more than two inputs: the chosen pair, the others held at their mean (the view says so)
    const plane = planeOf({ plane: st().plane, session });
    const r = await api.boundary(session.id, { resolution: BOUNDARY_RESOLUTION, neurons: true, plane });
    return { boundary: { ...r, step: session.step } };
  }

  /** @param {boolean} animate */
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

  /**
   * The selected sample's backward pass (POST /backward): its forward values, δ and gradient,
   * applied with `extra`. Answers the trace, or null when the session changed meanwhile.
   * @param {boolean} animate
   * @param {object} [extra]  more of the patch (e.g. the edge mode)
   */
  async function fetchSampleTrace(animate, extra = {}) {
    const s = st().session;
    const sample = validSample(s, st().sample);
    if (!splitSize(s, sample.split)) return null;
    const r = await api.backward(s.id, { indices: [sample.index], split: sample.split });
    if (sessionId() !== s.id) return null;
    store.set({ ...sampleTracePatch(r, sample, s.step, animate, nextSeq()), ...extra });
    return r;
  }

  return {
    nextSeq,
    forwardPatch,
    boundaryPatch,
    fetchForward,
    fetchBoundary,
    fetchSampleTrace,

    /** The sample's forward pass, then the heatmaps. */
    async refresh({ animate = false } = {}) {
      await fetchForward(animate);
      await fetchBoundary();
    },

    /**
     * While streaming: the sample's forward pass, or, with the edges on ∂C/∂W, its backward
     * pass, so the edges show the gradient at the current weights (the frames carry none).
     */
    async fetchLive() {
      if (st().edgeMode !== "grad") await fetchForward(false);
      else await fetchSampleTrace(false);
    },

    /** Milliseconds since the heatmaps were last fetched or came with a frame. */
    sinceBoundary: () => performance.now() - lastBoundaryAt,
    /** A stream frame brought the grids. */
    boundaryArrived: () => { lastBoundaryAt = performance.now(); },
  };
}
