// Drives TensorFlow Playground's own engine (nn.ts, compiled unchanged) the way
// Playground's oneStep() in src/playground.ts does, and times it. Our code, not
// Playground's: only nn.js is theirs. README.md beside this file says what is measured.
//
//   node driver.cjs --nn /tmp/x/nn.js [--seconds 3] [--warmup 1] [--dataset circle|xor]
//                  [--seed 1] [--batch 10] [--lr 0.03]
//
// Prints one JSON object on stdout.
"use strict";

const path = require("node:path");

const N_SAMPLES = 500; // Playground's NUM_SAMPLES_CLASSIFY
const TRAIN_PERCENT = 50; // Playground's default "ratio of training to test data"
const SHAPE = [2, 4, 2, 1]; // inputs x, y; state.networkShape [4, 2]; one output

function options(argv) {
  // min_steps: time at least this many oneSteps however slow the machine (tests check learning)
  const opts = { nn: null, seconds: 3, warmup: 1, dataset: "circle", seed: 1, batch: 10, lr: 0.03, min_steps: 0 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (!(key in opts) || i + 1 >= argv.length) throw new Error(`unknown or empty option ${argv[i]}`);
    opts[key] = key === "nn" || key === "dataset" ? argv[i + 1] : Number(argv[i + 1]);
  }
  if (!opts.nn) throw new Error("--nn path/to/compiled/nn.js is required");
  return opts;
}

// Playground seeds Math.random itself (seedrandom), so its weights and data come from
// Math.random; a small seeded generator (mulberry32) in its place makes runs repeatable.
function seeded(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const uniform = (lo, hi) => lo + (hi - lo) * Math.random();

// Playground's two default-listed classification sets at noise 0, with its labels ±1.
function circle(n) {
  const points = [];
  const ring = (rLo, rHi) => {
    const r = uniform(rLo, rHi);
    const angle = uniform(0, 2 * Math.PI);
    const x = r * Math.sin(angle);
    const y = r * Math.cos(angle);
    points.push({ x, y, label: Math.hypot(x, y) < 2.5 ? 1 : -1 });
  };
  for (let i = 0; i < n / 2; i++) ring(0, 2.5); // inside radius 5 × 0.5
  for (let i = 0; i < n / 2; i++) ring(3.5, 5); // outside, from radius 5 × 0.7
  return points;
}

function xor(n) {
  const points = [];
  const padded = (v) => v + (v > 0 ? 0.3 : -0.3);
  for (let i = 0; i < n; i++) {
    const x = padded(uniform(-5, 5));
    const y = padded(uniform(-5, 5));
    points.push({ x, y, label: x * y >= 0 ? 1 : -1 });
  }
  return points;
}

function shuffled(points) {
  for (let k = points.length - 1; k > 0; k--) {
    const j = Math.floor(Math.random() * (k + 1));
    [points[k], points[j]] = [points[j], points[k]];
  }
  return points;
}

// Mean of ½(a − y)² over the points, as Playground's getLoss.
function loss(nn, network, points) {
  let total = 0;
  for (const p of points) total += nn.Errors.SQUARE.error(nn.forwardProp(network, [p.x, p.y]), p.label);
  return total / points.length;
}

// One call is one Playground oneStep() without its updateUI(): every training point
// forward and back, the weights updated after every batchSize points, then the loss
// over the train and the test set.
function oneStep(nn, network, train, test, batch, lr) {
  for (let i = 0; i < train.length; i++) {
    const p = train[i];
    nn.forwardProp(network, [p.x, p.y]); // a fresh input array per point, as constructInput
    nn.backProp(network, p.label, nn.Errors.SQUARE);
    if ((i + 1) % batch === 0) nn.updateWeights(network, lr, 0);
  }
  return [loss(nn, network, train), loss(nn, network, test)];
}

function main() {
  const opts = options(process.argv.slice(2));
  const nn = require(path.resolve(opts.nn));
  Math.random = seeded(opts.seed);
  const data = shuffled(opts.dataset === "xor" ? xor(N_SAMPLES) : circle(N_SAMPLES));
  const split = Math.floor((data.length * TRAIN_PERCENT) / 100);
  const train = data.slice(0, split);
  const test = data.slice(split);
  const network = nn.buildNetwork(SHAPE, nn.Activations.TANH, nn.Activations.TANH, null, ["x", "y"], false);
  const startLoss = [loss(nn, network, train), loss(nn, network, test)];

  const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
  let t0 = process.hrtime.bigint();
  while (seconds(t0) < opts.warmup) oneStep(nn, network, train, test, opts.batch, opts.lr);

  let steps = 0;
  let losses = startLoss;
  t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < opts.seconds || steps < opts.min_steps) {
    losses = oneStep(nn, network, train, test, opts.batch, opts.lr);
    steps++;
    elapsed = seconds(t0);
  }
  const updatesPerStep = Math.floor(train.length / opts.batch);
  process.stdout.write(JSON.stringify({
    network: SHAPE,
    dataset: opts.dataset,
    n_train: train.length,
    n_test: test.length,
    batch_size: opts.batch,
    learning_rate: opts.lr,
    node: process.version,
    seconds: elapsed,
    one_steps: steps,
    one_steps_per_s: steps / elapsed,
    updates_per_one_step: updatesPerStep,
    updates_per_s: (steps * updatesPerStep) / elapsed,
    samples_per_s: (steps * train.length) / elapsed,
    loss_start: startLoss,
    loss_end: losses,
  }) + "\n");
}

main();
