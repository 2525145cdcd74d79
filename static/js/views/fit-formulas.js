// Formulas under a field (the loss's, the optimiser's) shrink to fit their box instead of
// being cut off: on every new formula and every resize the KaTeX font is scaled to the
// width available (down to 60 %; below that the box scrolls).

const MIN_SCALE = 0.6;

/** Scale the formula in `box` so that it fits its width. */
export function fitFormula(box) {
  const katex = /** @type {HTMLElement | null} */ (box.querySelector(".katex"));
  if (!katex) return;
  katex.style.fontSize = "";
  const room = box.clientWidth;
  const need = katex.getBoundingClientRect().width; // .katex is inline: no scrollWidth
  if (!room || need <= room) return;
  const scale = Math.max(MIN_SCALE, (room / need) * 0.98);
  katex.style.fontSize = `${scale.toFixed(3)}em`;
  box.classList.toggle("is-scrolling", scale === MIN_SCALE);
}

/** Keep every `.formula` box under `root` fitted. */
export function mountFormulaFit(root) {
  const boxes = [...root.querySelectorAll(".formula")];
  const sized = new ResizeObserver((entries) => entries.forEach((e) => fitFormula(/** @type {HTMLElement} */ (e.target))));
  const changed = new MutationObserver((records) => {
    const seen = new Set(records.map((r) => /** @type {Node} */ (r.target)));
    for (const box of boxes) if (seen.has(box)) fitFormula(/** @type {HTMLElement} */ (box));
  });
  for (const box of boxes) {
    sized.observe(box);
    changed.observe(box, { childList: true });
  }
}
