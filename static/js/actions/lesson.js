// The guided lesson's actions (lesson/): set the page's session up for a step, and the
// side computations a step shows without touching the page's session — the worked
// example's SGD iterates (a throwaway session stepped by the engine) and stateless traces.

import { api } from "../api.js";
import { clone } from "../spec.js";

/**
 * @param {import("./context.js").Context} ctx
 * @param {(spec: object) => Promise<any>} createFromSpec
 */
export function lessonActions({ store, st, run }, createFromSpec) {
  return {
    /**
     * Make the page's session from a create request (a lesson step's network, data and weights).
     * @param {object} spec
     */
    lessonSetup(spec) {
      return run(async () => {
        store.set({ playing: false, selection: null }); // the step draws its own highlight (lesson/index.js clears the last one)
        await createFromSpec(clone(spec));
      });
    },

    /**
     * SGD on one weight, by the engine: a throwaway session with w⁰ and η is stepped `steps`
     * times; its snapshots are the iterates w⁰ … w^k and its history the losses.
     * @param {object} spec  the worked example's create request
     * @param {number} w0
     * @param {number} eta
     * @param {number} steps
     */
    sgdIterates(spec, w0, eta, steps) {
      return run(async () => {
        const body = clone(spec);
        body.network.weights = [[[w0]]];
        body.training.learning_rate = eta;
        const s = await api.create(body);
        try {
          const r = await api.step(s.id, { steps });
          const snaps = await api.snapshots(s.id);
          const metrics = await api.metrics(s.id, 0);
          return {
            w: snaps.snapshots.map((/** @type {any} */ p) => p.weights[0][0][0]),
            steps: metrics.step,
            loss: metrics.train_loss,
            diverged: !!r.diverged,
            applied: r.applied_steps,
          };
        } finally {
          await api.remove(s.id).catch(() => null);
        }
      });
    },

    /**
     * A stateless forward and backward pass (POST /api/trace): nothing is stored.
     * @param {object} body
     */
    trace(body) {
      return run(() => api.trace(body));
    },

    /** The page's current session's id (a step checks an answer is still for it). */
    lessonSession: () => st().session,
  };
}
