// The address as state (url-state.js): parse with checks, serialise leaving others' keys.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fitToSession, historyMode, keys, parseAddress, registerKey, serialiseAddress } from "../../static/js/url-state.js";

test("a full address parses to checked values", () => {
  const { values, bad } = parseAddress("?session=AbC_12-xyz&tab=replay&edges=grad&sel=e2.1.3&sample=test.4&speed=5&lang=zh");
  assert.deepEqual(bad, []);
  assert.deepEqual(values, {
    session: "AbC_12-xyz", tab: "replay", edges: "grad",
    sel: { kind: "edge", layer: 2, row: 1, column: 3 },
    sample: { split: "test", index: 4 }, speed: 5, lang: "zh",
  });
  assert.deepEqual(parseAddress("?sel=n0.2").values.sel, { kind: "node", layer: 0, index: 2 });
});

test("garbage, over-limit and injected values are named bad and left out", () => {
  const search = "?session=%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E&tab=__proto__&edges=constructor"
    + "&sel=e0.1.1&sample=train.-1&speed=99&lang=fr&x=1";
  const { values, bad } = parseAddress(search);
  assert.deepEqual(values, {});
  assert.deepEqual(bad, ["session", "tab", "edges", "sel", "sample", "speed", "lang"]);
  assert.deepEqual(parseAddress("?sel=n1.2.3&speed=007").bad, ["sel", "speed"]);
  assert.deepEqual(parseAddress(`?session=${"a".repeat(300)}`).bad, ["session"]);
});

test("serialising sets the registered keys, drops defaults and keeps other parameters", () => {
  const out = serialiseAddress("?presenter=1&hide=data,loss&tab=paths", {
    session: "abcdef12", tab: "inspector", edges: "update", sel: { kind: "node", layer: 1, index: 2 },
    sample: { split: "train", index: 0 }, speed: 3, lang: "zh",
  });
  assert.equal(out, "?presenter=1&hide=data,loss&session=abcdef12&edges=update&sel=n1.2&speed=3&lang=zh");
  assert.equal(serialiseAddress("?tab=paths", { tab: "inspector" }), "");
  const back = parseAddress(out).values;
  assert.deepEqual(back.sel, { kind: "node", layer: 1, index: 2 });
});

test("view changes that matter push a history entry, the rest replace it", () => {
  assert.equal(historyMode("?session=abcdef12", "?session=abcdef12"), null);
  assert.equal(historyMode("?session=abcdef12", "?session=abcdef12&tab=replay"), "push");
  assert.equal(historyMode("?session=abcdef12", "?session=abcdef12&speed=4"), "replace");
  assert.equal(historyMode("?session=abcdef12&sel=n1.0", "?session=abcdef12"), "push");
});

test("other modules register their own keys and get the same checks", () => {
  registerKey("lesson", { parse: (raw) => (/^[a-z]{1,10}\.[0-9]{1,2}$/.test(raw) ? raw : undefined), serialise: (v) => v || null, history: "push" });
  assert.ok(keys().includes("lesson"));
  assert.deepEqual(parseAddress("?lesson=xor.3").values, { lesson: "xor.3" });
  assert.deepEqual(parseAddress("?lesson=xor.3;drop").bad, ["lesson"]);
  assert.throws(() => registerKey("lesson", { parse: String, serialise: String, history: "push" }));
});

test("a neuron, weight or sample the session does not have is stale", () => {
  const session = { network: { layers: [2, 4, 1] }, dataset: { n_train: 10, n_test: 2 } };
  const ok = { sel: { kind: "edge", layer: 2, row: 0, column: 3 }, sample: { split: "test", index: 1 }, tab: "paths" };
  assert.deepEqual(fitToSession(session, ok), { values: ok, bad: [] });
  const stale = { sel: { kind: "node", layer: 3, index: 0 }, sample: { split: "test", index: 2 }, speed: 1 };
  assert.deepEqual(fitToSession(session, stale), { values: { speed: 1 }, bad: ["sel", "sample"] });
  assert.deepEqual(fitToSession(session, { sel: { kind: "edge", layer: 1, row: 3, column: 2 } }).bad, ["sel"]);
});
