// decodeFrame: a binary stream frame (docs/api.md, "Stream") as weights, biases and grids.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeFrame } from "../../static/js/stream.js";

/**
 * A frame as the server encodes it (app/api/frames.py): uint32 header length, JSON header,
 * zero padding to 8 bytes, float64 arrays, then float32 arrays; the header's array fields
 * hold [byte offset, count] into the data section.
 * @param {Record<string, any>} header  without the spans
 * @param {number[]} params
 * @param {number[][]} grids  float32 arrays: output, inputs, then one per layer of neurons
 * @param {(spans: [number, number][]) => Record<string, any>} place  the spans into the header
 */
function encode(header, params, grids, place) {
  /** @type {[number, number][]} */
  const spans = [[0, params.length]];
  let offset = params.length * 8;
  for (const g of grids) {
    spans.push([offset, g.length]);
    offset += g.length * 4;
  }
  const head = new TextEncoder().encode(JSON.stringify({ ...header, ...place(spans) }));
  const start = (4 + head.length + 7) & ~7;
  const buffer = new ArrayBuffer(start + offset);
  new DataView(buffer).setUint32(0, head.length, true);
  new Uint8Array(buffer, 4).set(head);
  new Float64Array(buffer, start, params.length).set(params);
  grids.forEach((g, i) => new Float32Array(buffer, start + spans[i + 1][0], g.length).set(g));
  return buffer;
}

// layers [2, 2, 1]: W^1 2×2 at 0, b^1 at 4, W^2 1×2 at 6, b^2 at 8
const LAYOUT = /** @type {[number, number, number, number | null][]} */ ([[0, 2, 2, 4], [6, 1, 2, 8]]);
const PARAMS = [0.1, -0.2, 0.3, -0.4, 0.5, 0.6, 1 / 3, -1e-300, 2.5];
const META = { seq: 7, step: 120, steps: 20, train_ms: 3.5, diverged: false, message: null, metrics: { step: 120, train_loss: 0.25 } };

test("decodeFrame: header fields and the exact float64 parameters as W^l rows and b^l", () => {
  const f = decodeFrame(encode(META, PARAMS, [], ([p]) => ({ params: p, boundary: null })), LAYOUT);
  assert.equal(f.seq, 7);
  assert.equal(f.step, 120);
  assert.equal(f.steps, 20);
  assert.equal(f.trainMs, 3.5);
  assert.equal(f.diverged, false);
  assert.deepEqual(f.metrics, { step: 120, train_loss: 0.25 });
  assert.deepEqual(Array.from(f.params ?? []), PARAMS);
  assert.deepEqual(f.weights.map((W) => W.map((row) => Array.from(row))), [[[0.1, -0.2], [0.3, -0.4]], [[1 / 3, -1e-300]]]);
  assert.deepEqual(f.biases?.map((b) => Array.from(b)), [[0.5, 0.6], [2.5]]);
  assert.equal(f.boundary, null);
});

test("decodeFrame: without biases (layout offsets null) biases is null", () => {
  const layout = /** @type {[number, number, number, number | null][]} */ ([[0, 1, 2, null]]);
  const f = decodeFrame(encode(META, [4, -5], [], ([p]) => ({ params: p })), layout);
  assert.deepEqual(f.weights.map((W) => W.map((row) => Array.from(row))), [[[4, -5]]]);
  assert.equal(f.biases, null);
});

test("decodeFrame: the grids as float32, one row per input and per neuron of each layer", () => {
  const res = 2; // a 2-D input plane: 2 × 2 cells per grid
  const output = [0.25, 0.5, 0.75, 1];
  const inputs = [-1, 1, -1, 1, -1, -1, 1, 1];
  const hidden = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
  const out = [0.9, 0.8, 0.7, 0.6];
  const buffer = encode(META, PARAMS, [output, inputs, hidden, out], ([p, o, i, h, n]) => ({
    params: p,
    boundary: { dims: 2, resolution: res, domain: [[-1, 1], [-1, 1]], output: o, inputs: i, neurons: [h, n] },
  }));
  const b = decodeFrame(buffer, LAYOUT).boundary;
  assert.ok(b);
  assert.equal(b.dims, 2);
  assert.equal(b.resolution, 2);
  assert.deepEqual(b.domain, [[-1, 1], [-1, 1]]);
  assert.ok(b.output instanceof Float32Array);
  assert.deepEqual(Array.from(b.output), output);
  assert.deepEqual(b.inputs?.map((g) => Array.from(g)), [[-1, 1, -1, 1], [-1, -1, 1, 1]]);
  assert.deepEqual(b.neurons?.map((layer) => layer.map((g) => Array.from(g))),
    [[Array.from(new Float32Array([0.1, 0.2, 0.3, 0.4])), Array.from(new Float32Array([0.5, 0.6, 0.7, 0.8]))],
     [Array.from(new Float32Array(out))]]);
});

test("decodeFrame: a grid without the neurons' has the output only", () => {
  const buffer = encode(META, PARAMS, [[0.5, 0.25, 0.125]], ([p, o]) => ({
    params: p, boundary: { dims: 1, resolution: 3, domain: [[-2, 2]], output: o },
  }));
  const b = decodeFrame(buffer, LAYOUT).boundary;
  assert.deepEqual(Array.from(b?.output ?? []), [0.5, 0.25, 0.125]);
  assert.equal(b?.inputs, undefined);
  assert.equal(b?.neurons, undefined);
});
