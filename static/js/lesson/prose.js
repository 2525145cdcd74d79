// A teacher's sentence with formulas: text with $…$ (inline) and $$…$$ (display) math,
// split here (pure) and rendered with the vendored KaTeX by ./render.js.

/**
 * @param {string} text
 * @returns {{kind: "text" | "math" | "display", value: string}[]}
 */
export function splitMath(text) {
  /** @type {{kind: "text" | "math" | "display", value: string}[]} */
  const parts = [];
  const re = /\$\$([^$]+)\$\$|\$([^$]+)\$/g;
  let at = 0;
  for (const m of String(text).matchAll(re)) {
    const i = m.index ?? 0;
    if (i > at) parts.push({ kind: "text", value: text.slice(at, i) });
    parts.push(m[1] !== undefined ? { kind: "display", value: m[1] } : { kind: "math", value: m[2] });
    at = i + m[0].length;
  }
  if (at < text.length) parts.push({ kind: "text", value: text.slice(at) });
  return parts;
}
