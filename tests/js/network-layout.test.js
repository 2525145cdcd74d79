// The network view's geometry: the left margin makes room for the input names.
import "./browser-globals.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { layoutNetwork } from "../../static/js/views/network-layout.js";

test("a short input name keeps the usual margin; a long one widens it so the name fits", () => {
  const plain = layoutNetwork([4, 8, 3], 370, 420);
  assert.deepEqual(layoutNetwork([4, 8, 3], 370, 420, { labelWidth: 14 }).xs, plain.xs);
  const named = layoutNetwork([4, 8, 3], 370, 420, { labelWidth: 75 });
  assert.ok(named.xs[0] > plain.xs[0]);
  assert.ok(named.labelRoom >= 75, `room ${named.labelRoom}`);
  assert.ok(Math.abs(named.xs[2] - plain.xs[2]) < 1e-9); // the output column stays put
});

test("the margin takes at most 30% of the width: a longer name has less room (it is shortened)", () => {
  const wide = layoutNetwork([4, 8, 3], 370, 420, { labelWidth: 400 });
  assert.ok(wide.xs[0] <= 0.3 * 370);
  assert.ok(wide.labelRoom < 400 && wide.labelRoom > 50);
});
