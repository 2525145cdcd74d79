// The lesson's place in the URL: the hash parameter lesson=N (1 … steps), beside whatever
// else the hash holds (a shared setup's #setup=…), so a reload or a link reopens the step.

/**
 * The step in a location hash ("#lesson=3&setup=…"), or null.
 * @param {string} hash
 * @param {number} steps
 * @returns {number | null}
 */
export function stepFromHash(hash, steps) {
  const params = new URLSearchParams(String(hash ?? "").replace(/^#/, ""));
  const raw = params.get("lesson");
  if (raw === null || !/^\d+$/.test(raw)) return null;
  const n = Number(raw);
  return n >= 1 && n <= steps ? n : null;
}

/**
 * The hash with lesson=N set (or removed for null), other parameters kept in order.
 * @param {string} hash
 * @param {number | null} step
 */
export function hashWithStep(hash, step) {
  const params = new URLSearchParams(String(hash ?? "").replace(/^#/, ""));
  if (step === null) params.delete("lesson");
  else params.set("lesson", String(step));
  const s = params.toString();
  return s ? `#${s}` : "";
}
