// Number formatting for display (fmt, U+2212 minus) and for hooks tests read (plain, ASCII).
import "./browser-globals.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { activationOf, biasName, fmt, pct, plain, target, vec, weightName } from "../../static/js/format.js";

test("fmt: unknown values are a dash, zero is 0", () => {
  for (const v of [null, undefined, NaN]) assert.equal(fmt(v), "–");
  assert.equal(fmt(0), "0");
});

test("fmt: 3 significant digits, 4 at |v| ≥ 100 or when asked, with a typographic minus", () => {
  assert.equal(fmt(0.123456), "0.123");
  assert.equal(fmt(-0.5), "−0.5");
  assert.equal(fmt(2), "2");
  assert.equal(fmt(1234.4), "1234");
  assert.equal(fmt(0.123456, { digits: 4 }), "0.1235");
  assert.equal(fmt(-0.5971686, { digits: 4 }), "−0.5972");
});

test("fmt: exponent form below 1e-3 and from 1e5", () => {
  assert.equal(fmt(123456), "1.23e+5");
  assert.equal(fmt(-0.00025), "−2.5e−4");
  assert.equal(fmt(0.001), "0.001");
});

test("plain: ASCII, up to 6 significant digits (or `precision`), empty when not finite", () => {
  assert.equal(plain(-0.1234567), "-0.123457");
  assert.equal(plain(1 / 3, 12), "0.333333333333");
  assert.equal(plain(42), "42");
  for (const v of [null, undefined, NaN, Infinity]) assert.equal(plain(v), "");
});

test("pct: one decimal of a percentage", () => {
  assert.equal(pct(0.1234), "12.3%");
  assert.equal(pct(1), "100.0%");
  assert.equal(pct(null), "");
});

test("vec and target: inputs as a tuple, labels as a class, regression targets as numbers", () => {
  assert.equal(vec([1.25, -3.5]), "(1.25, −3.5)");
  assert.equal(target([0, 1], "classification"), "class 1"); // one-hot row
  assert.equal(target([0.4], "classification"), "class 0");
  assert.equal(target([1], "classification"), "class 1");
  assert.equal(target([2.5], "regression"), "2.5");
  assert.equal(target([1, -2], "regression"), "(1, −2)");
  assert.equal(target(null, "regression"), "–");
});

test("weightName and biasName: W^l_{jk} and b^l_j in plain text, two-digit indices separated", () => {
  assert.equal(weightName(1, 0, 2), "W¹₀₂");
  assert.equal(weightName(12, 10, 2), "W¹²₁₀‚₂");
  assert.equal(biasName(2, 1), "b²₁");
});

test("activationOf: σ for the sigmoid, formulas for the others, the name otherwise", () => {
  assert.equal(activationOf("sigmoid"), "σ(z)");
  assert.equal(activationOf("linear"), "z");
  assert.equal(activationOf("square", "w"), "w²");
  assert.equal(activationOf("relu"), "max(0, z)");
  assert.equal(activationOf("leaky_relu"), "max(0.01z, z)");
  assert.equal(activationOf("tanh"), "tanh(z)");
});
