// The classroom's actions (../classroom/): session files, and following a session read-only.

import { api } from "../api.js";
import { t } from "../i18n.js";
import { emptyHistory } from "../store.js";
import { columnsToRecords, framePatch, sampleTracePatch, withRecords } from "../patches.js";
import { specFromSession } from "../spec.js";

/**
 * @param {import("./context.js").Context} ctx
 * @param {(id: string) => Promise<void>} loadSession  sessions.js
 */
export function classroomActions({ store, st, sessionId, run, pending, reads }, loadSession) {
  let liveReadAt = 0;
  return {
    /** GET /export of the current session: a create request that reproduces it (it imports back). */
    exportSession() {
      return run(() => api.exportSession(sessionId()));
    },

    /**
     * POST an exported session (or any create request) and show it, its loss history included.
     * @param {object} doc
     */
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
     * @returns {Promise<"gone" | "same" | "changed" | undefined>}
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
        await reads.refresh();
        return "changed";
      });
    },

    /**
     * A Play frame the class's teacher published (classroom/live.js): its weights, metrics,
     * the sample's pass and the heatmaps the teacher's page read, drawn at once with no read
     * of our own. A frame without the sample's pass (the teacher's page had none) has it read
     * here, when no read is waiting, so a follower never queues up behind the teacher.
     * A settled frame (a Step, a pause, an edited weight) may have the same step, and brings
     * the metrics rows since the last one the teacher sent, the session's version and dead neurons.
     * @param {{session: string, step: number, weights: number[][][], biases?: number[][] | null, metrics?: any,
     *          forward?: any, backward?: any, boundary?: any, settled?: boolean, records?: any[],
     *          updated_at?: any, dead?: any}} frame
     */
    followFrame(frame) {
      const s = st().session;
      if (!s || s.id !== frame.session || frame.step < s.step || (frame.step === s.step && !frame.settled)) return;
      /** @type {Record<string, any>} */
      const patch = framePatch(s, { ...frame, steps: frame.step - s.step, biases: frame.biases ?? null, boundary: null }, st().history, st().boundary);
      if (frame.settled) {
        // a Step, a pause or an edited weight, with everything the teacher's page read for it
        patch.session = { ...patch.session, updated_at: frame.updated_at ?? s.updated_at, dead: frame.dead ?? s.dead };
        if (frame.records) patch.history = withRecords(st().history, [...frame.records, frame.metrics]);
        // the same step: no steps taken (a pause keeps the update shown; an edit drops it)
        if (frame.step === s.step) patch.update = JSON.stringify(frame.weights) === JSON.stringify(s.network.weights) ? st().update : null;
      }
      if (frame.boundary) patch.boundary = frame.boundary;
      if (frame.forward) patch.forward = { ...frame.forward, animate: false, seq: reads.nextSeq() };
      if (frame.backward) Object.assign(patch, sampleTracePatch(frame.backward, frame.backward.sample, frame.backward.step, false, reads.nextSeq()));
      store.set(patch);
      // the grids come with every few frames (GRIDS_MS in classroom/live.js) and with a
      // settled one; the widest networks' grids, too big for a frame, are read when it settles
      if (frame.boundary) reads.boundaryArrived();
      else if (frame.settled) run(reads.fetchBoundary); // too big to send (the widest networks)
      if (frame.forward || frame.backward) return;
      if (pending() === 0 && performance.now() - liveReadAt >= 250) {
        liveReadAt = performance.now();
        run(reads.fetchLive);
      }
    },

    /**
     * What the teacher's page shows besides the weights: selection, edge mode, sample, and
     * the animation of a forward or backward pass (replayed here with this page's values).
     * @param {{selection?: any, edge_mode?: string, sample?: {split: string, index: number} | null, phase?: string,
     *          phase_layer?: number | null, pass?: any}} view
     */
    mirrorView(view) {
      const sample = view.sample ?? st().sample;
      const sampleChanged = sample.split !== st().sample.split || sample.index !== st().sample.index;
      /** @type {Record<string, any>} */
      const patch = { selection: view.selection ?? null, edgeMode: view.edge_mode ?? "weight", sample };
      // the sample's pass as the teacher's page has it comes with the view: drawn as is,
      // no read of our own (a backward pass carries δ and ∂C/∂W too)
      const p = view.pass;
      const pass = p?.sample?.split === sample.split && p.sample.index === sample.index && p.step >= (st().forward?.step ?? -1) ? p : null;
      if (pass?.kind === "backward") Object.assign(patch, sampleTracePatch(pass, sample, pass.step, false, reads.nextSeq()));
      else if (pass) patch.forward = { ...pass, animate: false, seq: reads.nextSeq() };
      store.set(patch);
      const phase = view.phase ?? "idle";
      const mirrored = st().mirroredPhase;
      if (mirrored?.kind !== phase || mirrored?.layer !== (view.phase_layer ?? null)) store.set({ mirroredPhase: { kind: phase, layer: view.phase_layer ?? null } });
      if (sampleChanged && !pass) return run(() => reads.fetchLive());
      return Promise.resolve();
    },
  };
}
