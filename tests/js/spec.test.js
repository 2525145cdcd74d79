// Spec building (spec.js): the create request the builder, data and training panels edit.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  clone, datasetEntry, dropWeights, explicitDataset, fitNetworkToData, inputDim, isBuiltinDataset,
  optionDefaults, specFromSession,
} from "../../static/js/spec.js";

/** The parts of GET /api/catalog that spec building reads (names and shapes as the API sends them). */
const CATALOG = {
  datasets: [
    { name: "xor", kind: "classification", input_dim: 2 },
    { name: "circle", kind: "classification", input_dim: 2 },
    { name: "sine", kind: "regression", input_dim: 1 },
    { name: "plane", kind: "regression", input_dim: 2 },
  ],
  features: [
    { name: "x1", needs: [0] }, { name: "x2", needs: [1] }, { name: "x1_x2", needs: [0, 1] },
    { name: "sin_x1", needs: [0] },
  ],
  optimizers: [
    { name: "sgd", options: {} },
    { name: "adam", options: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 } },
  ],
  initializers: [{ name: "xavier" }, { name: "he" }],
  defaults: {
    network: { layers: [2, 4, 2, 1], activations: ["tanh", "tanh", "sigmoid"], loss: "bce", bias: true, init: "xavier", seed: 1, features: ["x1", "x2"] },
    dataset: { name: "circle", n_samples: 200, noise: 0, test_fraction: 0.2, seed: 0 },
    training: { optimizer: "sgd", learning_rate: 0.03, batch_size: 10 },
  },
  presets: [
    { id: "diverging", request: { network: { layers: [2, 1], activations: ["linear"], loss: "mse" }, dataset: { name: "plane" } } },
  ],
};

/** @returns {import("../../static/js/spec.js").Spec} */
const defaults = () => clone(CATALOG.defaults);

test("fitNetworkToData: a regression set of one input gets 1 input, a linear output and mse", () => {
  const spec = defaults();
  spec.dataset = { name: "sine", n_samples: 100 };
  const changed = fitNetworkToData(spec, CATALOG, { kindChanged: true, dimChanged: true });
  assert.equal(changed, true);
  assert.deepEqual(spec.network.layers, [1, 4, 2, 1]);
  assert.equal(spec.network.features, null); // another input space: its raw inputs
  assert.deepEqual(spec.network.activations, ["tanh", "tanh", "linear"]); // from the "plane" preset
  assert.equal(spec.network.loss, "mse");
});

test("fitNetworkToData: features the data cannot provide are dropped; a softmax output is a pair", () => {
  const spec = defaults();
  spec.network.features = ["x1", "x1_x2", "sin_x1"];
  spec.network.activations[2] = "softmax";
  spec.dataset = { x: [[0.5], [1.5]], y: [[0], [1]] }; // explicit, one input
  fitNetworkToData(spec, CATALOG);
  assert.deepEqual(spec.network.features, ["x1", "sin_x1"]);
  assert.deepEqual(spec.network.layers, [2, 4, 2, 2]);
});

test("fitNetworkToData: an unchanged fit reports no change", () => {
  const spec = defaults();
  assert.equal(fitNetworkToData(spec, CATALOG), false);
  assert.deepEqual(spec.network.layers, [2, 4, 2, 1]);
});

test("dropWeights: explicit weights go, init and seed are set", () => {
  const spec = defaults();
  spec.network.weights = [[[1, 2]]];
  spec.network.biases = [[0]];
  delete spec.network.init;
  delete spec.network.seed;
  dropWeights(spec, CATALOG);
  assert.equal("weights" in spec.network, false);
  assert.equal("biases" in spec.network, false);
  assert.equal(spec.network.init, "xavier");
  assert.equal(spec.network.seed, 0);
});

test("datasets: built-in or explicit, their catalog entry and input dimension", () => {
  assert.equal(isBuiltinDataset(CATALOG, { name: "xor" }), true);
  assert.equal(isBuiltinDataset(CATALOG, { name: "xor", x: [[1, 2]] }), false);
  assert.equal(isBuiltinDataset(CATALOG, { name: "nope" }), false);
  assert.equal(datasetEntry(CATALOG, { x: [[1]], source: { name: "sine" } })?.kind, "regression");
  assert.equal(inputDim(CATALOG, { name: "sine" }), 1);
  assert.equal(inputDim(CATALOG, { x: [[1, 2, 3]] }), 3);
});

test("optionDefaults: an optimiser's options from a dict or a list", () => {
  assert.deepEqual(optionDefaults(CATALOG.optimizers[1]), { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
  assert.deepEqual(optionDefaults({ options: [{ name: "momentum", default: 0.9 }] }), { momentum: 0.9 });
  assert.deepEqual(optionDefaults({ options: { momentum: { default: 0.5 } } }), { momentum: 0.5 });
  assert.deepEqual(optionDefaults(null), {});
});

/**
 * A session as GET /api/networks/{id} answers (the fields spec building reads).
 * @param {Record<string, any>} dataset
 */
const session = (dataset) => ({
  network: { layers: [2, 3, 1], activations: ["relu", "sigmoid"], loss: "bce", bias: true, init: "he", seed: 4, features: null, weights: [[[1, 2], [3, 4], [5, 6]], [[7, 8, 9]]] },
  dataset,
  training: { optimizer: "adam", learning_rate: 0.01, batch_size: 5, beta1: 0.8, step: 99, unknown: 1 },
});

test("specFromSession: an untouched built-in dataset is named; training keeps the API's fields", () => {
  const s = session({ kind: "classification", n_train: 160, n_test: 40, source: { name: "xor", n_samples: 200, seed: 3 } });
  const spec = specFromSession(s, CATALOG);
  assert.deepEqual(spec.network, { layers: [2, 3, 1], activations: ["relu", "sigmoid"], loss: "bce", bias: true, init: "he", seed: 4, features: null });
  assert.deepEqual(spec.dataset, { name: "xor", n_samples: 200, seed: 3 });
  assert.deepEqual(spec.training, { optimizer: "adam", learning_rate: 0.01, batch_size: 5, beta1: 0.8 });
});

test("explicitDataset / specFromSession: added points make an explicit, edited dataset of labels", () => {
  const d = {
    kind: "classification", n_train: 3, n_test: 1, x: [[0, 0], [1, 1], [2, 2]], y: [[1, 0], [0, 1], [0, 1]],
    test_x: [[3, 3]], test_y: [[1, 0]], source: { name: "xor", n_samples: 3 },
  };
  const spec = specFromSession(session(d), CATALOG);
  assert.deepEqual(spec.dataset, {
    x: d.x, y: [[0], [1], [1]], test_x: [[3, 3]], test_y: [[0]], source: { name: "xor", n_samples: 3 }, name: "xor (edited)",
  });
  // an explicit dataset keeps its own name
  const again = explicitDataset({ dataset: { ...d, kind: "regression", y: [[0.5], [1], [2]], test_x: [] } }, { dataset: { name: "mine", x: [[0, 0]] } }, CATALOG);
  assert.deepEqual(again, { x: d.x, y: [[0.5], [1], [2]], name: "mine" });
});
