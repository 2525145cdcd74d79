// The lesson's pure helpers: reading a typed answer, the tolerance of a check, the path
// count, the step kept in the URL hash, and splitting a sentence into text and formulas.
import { test } from "node:test";
import assert from "node:assert/strict";
import { isClose, parseAnswer, pathCount } from "../../static/js/lesson/check.js";
import { hashWithStep, stepFromHash } from "../../static/js/lesson/progress.js";
import { splitMath } from "../../static/js/lesson/prose.js";

test("parseAnswer: decimal comma, typographic minus, exponents; words are no number", () => {
  assert.equal(parseAnswer("1.68"), 1.68);
  assert.equal(parseAnswer(" 1,68 "), 1.68);
  assert.equal(parseAnswer("−0.32"), -0.32);
  assert.equal(parseAnswer("3e-2"), 0.03);
  assert.equal(parseAnswer(".5"), 0.5);
  for (const bad of ["", "abc", "1.2.3", "--1", "1e", "∞"]) assert.equal(parseAnswer(bad), null, bad);
});

test("isClose: within 1 % or the absolute floor; a missing answer is wrong", () => {
  assert.equal(isClose(1.68, 1.68), true);
  assert.equal(isClose(1.69, 1.68), true); // 0.6 %: the learner rounded
  assert.equal(isClose(1.72, 1.68), false); // 2.4 %
  assert.equal(isClose(0.0005, 0), true); // under the 1e-3 floor
  assert.equal(isClose(0.002, 0), false);
  assert.equal(isClose(null, 1), false);
  assert.equal(isClose(9, 9, { rel: 0, abs: 0.5 }), true);
  assert.equal(isClose(10, 9, { rel: 0, abs: 0.5 }), false);
});

test("pathCount: the product of the widths after the weight's layer", () => {
  assert.equal(pathCount([2, 3, 3, 3, 1], 1), 27 / 3);
  assert.equal(pathCount([2, 4, 4, 4, 4, 1], 1), 64);
  assert.equal(pathCount([2, 3, 1], 2), 1);
});

test("the step in the hash: read, set, removed, other parameters kept", () => {
  assert.equal(stepFromHash("#lesson=3", 7), 3);
  assert.equal(stepFromHash("#setup=abc&lesson=7", 7), 7);
  assert.equal(stepFromHash("#lesson=8", 7), null);
  assert.equal(stepFromHash("#lesson=0", 7), null);
  assert.equal(stepFromHash("#lesson=2x", 7), null);
  assert.equal(stepFromHash("", 7), null);
  assert.equal(hashWithStep("", 2), "#lesson=2");
  assert.equal(hashWithStep("#setup=abc", 4), "#setup=abc&lesson=4");
  assert.equal(hashWithStep("#setup=abc&lesson=4", 5), "#setup=abc&lesson=5");
  assert.equal(hashWithStep("#setup=abc&lesson=4", null), "#setup=abc");
  assert.equal(hashWithStep("#lesson=4", null), "");
});

test("splitMath: text, inline $…$ and display $$…$$ in order", () => {
  assert.deepEqual(splitMath("so $C = \\tfrac12 w^4$ and"), [
    { kind: "text", value: "so " }, { kind: "math", value: "C = \\tfrac12 w^4" }, { kind: "text", value: " and" }]);
  assert.deepEqual(splitMath("$$a$$ b"), [{ kind: "display", value: "a" }, { kind: "text", value: " b" }]);
  assert.deepEqual(splitMath("no maths"), [{ kind: "text", value: "no maths" }]);
  assert.deepEqual(splitMath("$x$$y$"), [{ kind: "math", value: "x" }, { kind: "math", value: "y" }]);
});
