// Own data's pure helpers: the network a table needs, class numbers, the confusion matrix,
// the two features a plane spans.
import "./browser-globals.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { classOf, confusion, featureNames, nextPlane, planeOf, tableFor, tableNetwork } from "../../static/js/own-data.js";

test("tableNetwork: softmax + cross-entropy for 3+ classes, sigmoid + BCE for 2, linear + MSE to fit", () => {
  const iris = tableNetwork({ columns: ["a", "b", "c", "d"], kind: "classification", classes: ["s", "v", "g"] }, { seed: 3 });
  assert.deepEqual(iris.layers, [4, 8, 3]);
  assert.deepEqual(iris.activations, ["tanh", "softmax"]);
  assert.equal(iris.loss, "cross_entropy");
  assert.equal(iris.seed, 3);
  const two = tableNetwork({ columns: ["x1", "x2"], kind: "classification", classes: ["0", "1"] });
  assert.deepEqual([two.layers, two.activations[1], two.loss], [[2, 4, 1], "sigmoid", "bce"]);
  const fit = tableNetwork({ columns: ["x"], kind: "regression", classes: [] });
  assert.deepEqual([fit.layers, fit.activations[1], fit.loss], [[1, 4, 1], "linear", "mse"]);
  const digits = tableNetwork({ columns: Array(64).fill("p"), kind: "classification", classes: Array(10).fill("d"), image: [8, 8] });
  assert.deepEqual([digits.layers, digits.activations[0], digits.init], [[64, 16, 10], "relu", "he"]);
});

test("classOf: argmax of one-hot rows, 0/1 of a label or probability column", () => {
  assert.deepEqual(classOf([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05]]), [1, 0]);
  assert.deepEqual(classOf([[0.8], [0.2], [1], [0]]), [1, 0, 1, 0]);
});

test("confusion: counts[true][guess]", () => {
  assert.deepEqual(confusion([0, 0, 1, 2, 2], [0, 1, 1, 2, 0], 3), [[1, 1, 0], [0, 1, 0], [1, 0, 1]]);
});

test("planeOf keeps a chosen pair that fits the data, else the first two features", () => {
  const session = (/** @type {number} */ d) => ({ dataset: { input_dim: d } });
  assert.deepEqual(planeOf({ plane: [0, 3], session: session(4) }), [0, 3]);
  assert.deepEqual(planeOf({ plane: [0, 3], session: session(3) }), [0, 1]); // from a wider table
  assert.deepEqual(planeOf({ plane: [2, 2], session: session(4) }), [0, 1]);
  assert.deepEqual(planeOf({ plane: [2, 3], session: session(2) }), [0, 1]); // a plane already
});

test("nextPlane swaps the axes when one picks the other's feature", () => {
  assert.deepEqual(nextPlane([0, 1], 2, 1), [2, 1]);
  assert.deepEqual(nextPlane([2, 1], 2, 2), [1, 2]); // y picked x's feature
  assert.deepEqual(nextPlane([2, 1], 1, 1), [1, 2]); // x picked y's feature
});

test("featureNames uses the table's columns when they fit", () => {
  assert.deepEqual(featureNames({ columns: ["a", "b", "c"] }, 3), ["a", "b", "c"]);
  assert.deepEqual(featureNames({ columns: ["a", "b"] }, 3), ["x1", "x2", "x3"]);
  assert.deepEqual(featureNames(null, 2), ["x1", "x2"]);
});

test("tableFor: the table kept for a session's id, else the current one while its data is the table's", () => {
  const iris = { name: "iris", columns: ["a", "b", "c", "d"] };
  const pasted = { name: "table", columns: ["p", "q", "r", "s"] };
  const session = (/** @type {string} */ id, /** @type {string} */ name, d = 4) => ({ id, dataset: { name, input_dim: d } });
  const kept = new Map([["s1", iris], ["s2", null]]);
  assert.equal(tableFor(kept, pasted, session("s1", "iris")), iris); // undo back to it
  assert.equal(tableFor(kept, iris, session("s2", "drawn", 2)), null); // a cleared canvas
  assert.equal(tableFor(kept, iris, session("s3", "iris")), iris); // a network edit of iris
  assert.equal(tableFor(kept, iris, session("s4", "xor", 2)), null); // another data set
  assert.equal(tableFor(kept, pasted, session("s5", "table", 3)), null); // same name, not its width
  assert.equal(tableFor(kept, null, session("s6", "iris")), null);
});
