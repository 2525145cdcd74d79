// The network view's label thinning: no two kept boxes overlap, nor a kept box and a neuron.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitLabels, overlaps, placeLabels } from "../../static/js/views/label-place.js";

/** @param {number} x @param {number} y @param {number} [w] @param {number} [h] */
const box = (x, y, w = 10, h = 10) => ({ x, y, w, h });

test("overlaps: touching edges do not count, a shared area does", () => {
  assert.equal(overlaps(box(0, 0), box(10, 0)), false);
  assert.equal(overlaps(box(0, 0), box(5, 5)), true);
  assert.equal(overlaps(box(0, 0), box(0, 20)), false);
});

test("the higher priority label wins a collision; disjoint labels all stay", () => {
  const labels = [
    { id: 1, box: box(0, 0), priority: 2 },
    { id: 2, box: box(4, 4), priority: 1 },
    { id: 3, box: box(40, 40), priority: 3 },
  ];
  assert.deepEqual([...placeLabels(labels, [])].sort(), [2, 3]);
});

test("a label over a neuron is dropped, and so is an empty one", () => {
  const labels = [{ id: 1, box: box(0, 0), priority: 0 }, { id: 2, box: box(50, 0, 0, 10), priority: 0 }];
  assert.deepEqual([...placeLabels(labels, [box(5, 5)])], []);
});

test("whatever is kept, no two kept boxes intersect (a dense random case)", () => {
  let seed = 7;
  const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
  const labels = Array.from({ length: 300 }, (_, id) => ({ id, box: box(rand() * 200, rand() * 200, 5 + rand() * 30, 12), priority: id % 3 }));
  const nodes = Array.from({ length: 20 }, () => box(rand() * 200, rand() * 200, 8, 8));
  const kept = labels.filter((l) => placeLabels(labels, nodes).has(l.id));
  assert.ok(kept.length > 10);
  for (const a of kept) {
    for (const n of nodes) assert.equal(overlaps(a.box, n), false);
    for (const b of kept) if (a !== b) assert.equal(overlaps(a.box, b.box), false);
  }
});

test("fitLabels keeps a label that fits and shortens a longer one to its room with …", () => {
  const width = (/** @type {string} */ s) => 7 * s.length; // 7 px a character
  assert.deepEqual(fitLabels(["x₁", "petal length"], 84, width), ["x₁", "petal length"]);
  const [short] = fitLabels(["sepal length in centimetres"], 84, width);
  assert.equal(short, "sepal lengt…");
  assert.ok(width(short) <= 84);
  assert.equal(fitLabels(["abc"], 0, width)[0], "a…"); // never empty
});
