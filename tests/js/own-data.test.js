// Own data's pure helpers: the network a table needs, class numbers, the confusion matrix.
import "./browser-globals.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { classOf, confusion, tableNetwork } from "../../static/js/own-data.js";

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
