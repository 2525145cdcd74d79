// State patches (patches.js): what an API answer or a stream frame changes in the store.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  columnsToRecords, framePatch, plain, recordsAfter, sampleTracePatch, splitSize, stepPatch, stepRecords,
  steppedFrom, validSample, withRecords,
} from "../../static/js/patches.js";

const emptyHistory = () => ({ step: [], train_loss: [], test_loss: [] });

/** A session of layers [2, 2, 1] at step 10 (the fields the patches read). */
const SESSION = {
  id: "s1", step: 10, metrics: { step: 10, train_loss: 0.5 },
  dataset: { x: [[0, 0], [1, 1], [2, 2]], test_x: [[3, 3]] },
  training: { learning_rate: 0.1 },
  network: { layers: [2, 2, 1], init: "xavier", weights: [[[1, 2], [3, 4]], [[5, 6]]], biases: [[0, 0], [0]] },
};

test("withRecords: appends per column, skips records not past the last step, copies", () => {
  const h0 = { step: [0, 1], train_loss: [1, 0.9], test_loss: [1.1, null] };
  const h = withRecords(h0, [{ step: 1, train_loss: 7 }, null, { step: 2, train_loss: 0.8 }, { step: 3, train_loss: 0.7, test_loss: 0.75 }]);
  assert.deepEqual(h, { step: [0, 1, 2, 3], train_loss: [1, 0.9, 0.8, 0.7], test_loss: [1.1, null, null, 0.75] });
  assert.deepEqual(h0.step, [0, 1]); // the old history is not changed
});

test("columnsToRecords and stepRecords: /metrics columns as rows; one step's metrics row", () => {
  const cols = { step: [4, 5], train_loss: [0.3, 0.2], since: 4 };
  assert.deepEqual(columnsToRecords(cols), [{ step: 4, train_loss: 0.3 }, { step: 5, train_loss: 0.2 }]);
  assert.deepEqual(columnsToRecords(null), []);
  assert.deepEqual(stepRecords({ history: cols, metrics: { step: 5 } }), columnsToRecords(cols));
  assert.deepEqual(stepRecords({ metrics: { step: 5, train_loss: 0.2 } }), [{ step: 5, train_loss: 0.2 }]);
});

test("validSample: the selected sample while its split has it, else the first training sample", () => {
  assert.equal(splitSize(SESSION, "train"), 3);
  assert.equal(splitSize(SESSION, "test"), 1);
  assert.deepEqual(validSample(SESSION, { split: "test", index: 0 }), { split: "test", index: 0 });
  assert.deepEqual(validSample(SESSION, { split: "test", index: 1 }), { split: "train", index: 0 });
  assert.deepEqual(validSample(null, null), { split: "train", index: 0 });
});

/** A POST /backward answer for one sample, layers l = 1, 2. */
const BACKWARD = {
  step: 11, loss: 0.125, x: [[1, 1]], x_raw: [[1, 1]],
  layers: [
    { z: [[0.1, 0.2]], a: [[0.3, 0.4]], delta: [[0.01, 0.02]], grad_weights: [[0.01, 0.01], [0.02, 0.02]], grad_biases: [0.01, 0.02] },
    { z: [[0.5]], a: [[0.6]], delta: [[0.1]], grad_weights: [[0.03, 0.04]], grad_biases: [0.1] },
  ],
};

test("sampleTracePatch: forward values, the sample's gradient and the trace, at the answer's step", () => {
  const sample = { split: "train", index: 1 };
  const p = sampleTracePatch(BACKWARD, sample, 10, true, 5);
  assert.deepEqual(p.forward, { x: [[1, 1]], x_raw: [[1, 1]], layers: [{ z: [[0.1, 0.2]], a: [[0.3, 0.4]] }, { z: [[0.5]], a: [[0.6]] }], sample, step: 11, animate: false, seq: 5 });
  assert.deepEqual(p.gradient, { source: "sample", sample, step: 11, weights: [[[0.01, 0.01], [0.02, 0.02]], [[0.03, 0.04]]], biases: [[0.01, 0.02], [0.1]] });
  assert.equal(p.backward.step, 11);
  assert.equal(p.backward.animate, true);
  assert.equal(p.backward.loss, 0.125);
  // an answer without its step is taken at the page's
  const { step: _, ...noStep } = BACKWARD;
  assert.equal(sampleTracePatch(noStep, sample, 10, false, 6).gradient.step, 10);
});

test("stepPatch: one step with the server's update and trace; the session keeps what did not change", () => {
  const answer = {
    step: 11, metrics: { step: 11, train_loss: 0.4 }, indices: [2, 0],
    network: { weights: [[[0.9, 2], [3, 4]], [[5, 6.5]]], biases: [[0, 0.1], [0]] },
    update: { weights: [[[-0.1, 0], [0, 0]], [[0, 0.5]]], biases: [[0, 0.1], [0]] },
    trace: { layers: BACKWARD.layers },
  };
  const p = stepPatch(SESSION, answer, true, 3);
  assert.equal(p.session.step, 11);
  assert.deepEqual(p.session.network, { layers: [2, 2, 1], init: "xavier", ...answer.network });
  assert.equal(p.session.training, SESSION.training);
  assert.deepEqual(p.session.metrics, answer.metrics);
  assert.equal(p.backward, null);
  assert.deepEqual(p.update, { step: 11, weights: answer.update.weights, biases: answer.update.biases, steps: 1, animate: true, seq: 3 });
  // the minibatch gradient is of the weights before the step
  assert.deepEqual(p.gradient, { source: "minibatch", indices: [2, 0], step: 10, weights: [[[0.01, 0.01], [0.02, 0.02]], [[0.03, 0.04]]], biases: [[0.01, 0.02], [0.1]] });
});

test("stepPatch: several steps show ΔW as the difference of the weights, without a gradient", () => {
  const answer = { step: 40, applied_steps: 30, network: { weights: [[[1.5, 2], [3, 3]], [[5, 7]]] }, history: { step: [11, 40] } };
  const p = stepPatch(SESSION, answer, false);
  assert.deepEqual(p.update, { step: 40, weights: [[[0.5, 0], [0, -1]], [[0, 1]]], biases: null, steps: 30, animate: false });
  assert.equal("gradient" in p, false);
  assert.deepEqual(p.session.network.biases, SESSION.network.biases);
  assert.deepEqual(p.session.metrics, SESSION.metrics); // no metrics in the answer: the last ones stay
});

test("stepPatch: the dead neurons the answer names replace the session's; without them they stay", () => {
  const dead = { step: 11, layers: [[1], []] };
  const answer = { step: 11, network: { weights: SESSION.network.weights } };
  assert.deepEqual(stepPatch(SESSION, { ...answer, dead }, false).session.dead, dead);
  const before = { ...SESSION, dead: { step: 10, layers: [[0], []] } };
  assert.deepEqual(stepPatch(before, answer, false).session.dead, before.dead);
});

test("stepPatch: a diverged step (applied: false) is a step of no change", () => {
  const p = stepPatch(SESSION, { step: 10, applied: false, network: { weights: SESSION.network.weights } }, false);
  assert.equal(p.update.steps, 0);
  assert.deepEqual(p.update.weights, [[[0, 0], [0, 0]], [[0, 0]]]);
});

/**
 * A stream frame as stream.js decodes it: rows are typed arrays.
 * @param {any} boundary
 */
const frame = (boundary) => ({
  step: 30, steps: 20, metrics: { step: 30, train_loss: 0.3 },
  weights: [[Float64Array.of(1.25, 2), Float64Array.of(3, 4.5)], [Float64Array.of(5, 5)]],
  biases: [Float64Array.of(0, 1), Float64Array.of(-1)],
  boundary,
});

test("framePatch: weights and biases as plain arrays, ΔW since the page's weights, the metrics row", () => {
  const history = { step: [10], train_loss: [0.5], test_loss: [null] };
  const p = framePatch(SESSION, frame(null), history, null);
  assert.ok(Array.isArray(p.session.network.weights[0][0]));
  assert.deepEqual(p.session.network.weights, [[[1.25, 2], [3, 4.5]], [[5, 5]]]);
  assert.deepEqual(p.session.network.biases, [[0, 1], [-1]]);
  assert.equal(p.session.step, 30);
  assert.deepEqual(p.update, { step: 30, weights: [[[0.25, 0], [0, 0.5]], [[0, -1]]], biases: null, steps: 20, animate: false });
  assert.deepEqual(p.history, { step: [10, 30], train_loss: [0.5, 0.3], test_loss: [null, null] });
  assert.equal("boundary" in p, false);
});

test("framePatch: grids in the /boundary shape; without the neurons' the last inputs' grids stay", () => {
  const grids = { dims: 1, resolution: 2, domain: [[-1, 1]], output: Float32Array.of(0.5, 0.25), inputs: [Float32Array.of(-1, 1)], neurons: [[Float32Array.of(0, 1)]] };
  const withNeurons = framePatch(SESSION, frame(grids), emptyHistory(), null).boundary;
  assert.deepEqual(withNeurons, { dims: 1, resolution: 2, domain: [[-1, 1]], output: [0.5, 0.25], step: 30, inputs: [[-1, 1]], neurons: [[[0, 1]]] });
  const previous = { inputs: [[-1, 1]] };
  const outputOnly = framePatch(SESSION, frame({ dims: 1, resolution: 2, domain: [[-1, 1]], output: Float32Array.of(0.75, 1) }), emptyHistory(), previous).boundary;
  assert.deepEqual(outputOnly, { dims: 1, resolution: 2, domain: [[-1, 1]], output: [0.75, 1], step: 30, inputs: previous.inputs });
});

test("framePatch: a plane's features and held values come along; another plane's inputs do not stay", () => {
  const grid = (/** @type {number[]} */ plane) => ({ dims: 2, resolution: 1, domain: [[0, 1], [0, 1]], output: Float32Array.of(0.5), plane, held: [5, 3, 4, 1] });
  const previous = { inputs: [[1], [2], [3], [4]], plane: [2, 3] };
  const same = /** @type {any} */ (framePatch(SESSION, frame(grid([2, 3])), emptyHistory(), previous).boundary);
  assert.deepEqual([same.plane, same.held, same.inputs], [[2, 3], [5, 3, 4, 1], previous.inputs]);
  const other = /** @type {any} */ (framePatch(SESSION, frame(grid([0, 3])), emptyHistory(), previous).boundary);
  assert.deepEqual(other.plane, [0, 3]);
  assert.equal("inputs" in other, false);
});

test("plain: a typed row as a plain array of the same numbers", () => {
  const row = plain(Float32Array.of(0.5, -2));
  assert.ok(Array.isArray(row));
  assert.deepEqual(row, [0.5, -2]);
});

test("recordsAfter: the rows past a step, at most the last `max`", () => {
  const h = { step: [0, 1, 2, 3], train_loss: [1, 0.9, 0.8, 0.7], test_loss: [null, null, 0.85, null] };
  assert.deepEqual(recordsAfter(h, 1, 10), [{ step: 2, train_loss: 0.8, test_loss: 0.85 }, { step: 3, train_loss: 0.7, test_loss: null }]);
  assert.deepEqual(recordsAfter(h, 0, 1), [{ step: 3, train_loss: 0.7, test_loss: null }]);
  assert.deepEqual(recordsAfter(h, 3, 10), []);
  assert.deepEqual(recordsAfter(emptyHistory(), -1, 10), []);
});

test("steppedFrom: steps or an edited weight are a frame; data, training, a reset or another session are not", () => {
  const stepped = { ...SESSION, step: 11, updated_at: 2, metrics: { step: 11 }, dead: { step: 11, layers: [] },
    network: { ...SESSION.network, weights: [[[1, 2], [3, 5]], [[5, 6]]] } };
  assert.equal(steppedFrom(SESSION, stepped), true);
  assert.equal(steppedFrom(SESSION, { ...SESSION, network: { ...SESSION.network, biases: [[1, 0], [0]] } }), true);
  assert.equal(steppedFrom(SESSION, JSON.parse(JSON.stringify(SESSION))), true); // read again: equal, not the same object
  assert.equal(steppedFrom(null, SESSION), false);
  assert.equal(steppedFrom(SESSION, { ...SESSION, id: "s2" }), false);
  assert.equal(steppedFrom(SESSION, { ...SESSION, step: 0 }), false); // a reset
  assert.equal(steppedFrom(SESSION, { ...SESSION, training: { learning_rate: 0.3 } }), false);
  assert.equal(steppedFrom(SESSION, { ...SESSION, dataset: { ...SESSION.dataset, x: [[0, 0]] } }), false);
  assert.equal(steppedFrom(SESSION, { ...SESSION, network: { ...SESSION.network, init: "he" } }), false);
});
