// Number formatting for display (fmt, U+2212 minus) and for hooks tests read (plain, ASCII).
import "./browser-globals.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { fmt, pct, plain, target, vec } from "../../static/js/format.js";

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
