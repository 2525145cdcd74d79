// A refused value in plain words (both languages), and the divergence notice.
import "./browser-globals.js";
import "../../static/js/i18n/zh-screens.js";
import { test } from "node:test";
import assert from "node:assert/strict";
import { divergenceText, plainRefusal } from "../../static/js/refusals.js";
import { setLanguage } from "../../static/js/i18n.js";

/** @param {object[]} errors */
const refused = (errors) => ({ status: 422, body: { errors } });
/** @param {string} lang */
function speak(lang) {
  const saved = globalThis.document;
  globalThis.document = /** @type {Document} */ (/** @type {unknown} */ ({ documentElement: {}, querySelectorAll: () => [] }));
  setLanguage(lang);
  globalThis.document = saved;
}

test("pydantic bounds become a sentence naming the setting and its limit", () => {
  speak("en");
  const lr = refused([{ loc: ["learning_rate"], msg: "Input should be less than or equal to 100", type: "less_than_equal" }]);
  assert.deepEqual(plainRefusal(lr), { key: "learning_rate", message: "The learning rate can be at most 100." });
  const zero = refused([{ loc: ["training", "learning_rate"], msg: "Input should be greater than 0", type: "greater_than" }]);
  assert.deepEqual(plainRefusal(zero), { key: "learning_rate", message: "The learning rate must be more than 0." });
  const mom = refused([{ loc: ["momentum"], msg: "Input should be less than 1", type: "less_than" }]);
  assert.equal(plainRefusal(mom)?.message, "The momentum must be less than 1.");
});

test("the server's own limits (SpecError) read the same way", () => {
  speak("en");
  const batch = refused([{ loc: ["training", "batch_size"], msg: "batch size 500 is over the server's limit of 256" }]);
  assert.deepEqual(plainRefusal(batch), { key: "batch_size", message: "The batch size can be at most 256." });
  const width = refused([{ loc: ["network", "layers", 2], msg: "width 80 is over the server's limit of 64" }]);
  assert.deepEqual(plainRefusal(width), { key: "layers", message: "A layer's width can be at most 64." });
});

test("中文 too; errors that name no typed setting, and other statuses, are left as they are", () => {
  speak("zh");
  const lr = refused([{ loc: ["learning_rate"], msg: "Input should be less than or equal to 100", type: "less_than_equal" }]);
  assert.equal(plainRefusal(lr)?.message, "学习率最大为 100。");
  speak("en");
  assert.equal(plainRefusal(refused([{ loc: ["network", "weights"], msg: "shape" }])), null);
  assert.equal(plainRefusal({ status: 404, body: { errors: [{ loc: ["learning_rate"], msg: "x" }] } }), null);
  assert.equal(plainRefusal(null), null);
});

test("the divergence notice says what happened, at which step, and a rate to try", () => {
  speak("en");
  const text = divergenceText(12, 5);
  assert.match(text, /^At step 12 the update would have made a weight or the loss infinite/);
  assert.match(text, /Try a learning rate of 0\.5 or less, then Reset\.$/);
  assert.match(divergenceText(null, null), /Try a smaller learning rate/);
  speak("zh");
  assert.match(divergenceText(3, 2), /第 3 步.*0\.2/);
  speak("en");
});
