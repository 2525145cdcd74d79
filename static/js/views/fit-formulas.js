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

// Display formulas (the teaching panels', the lesson's) are rendered again whenever their
// numbers change; each one wider than its box is scaled down to fit (not below 60 %), so a
// phone never scrolls a formula sideways. Only rendered or resized ones are measured: during
// Play the panels re-render, and measuring every formula would force a layout per frame.

/** Scale the display formula `display` (a .katex-display) so that it fits its box. */
export function fitDisplay(display) {
  const katex = /** @type {HTMLElement | null} */ (display.querySelector(":scope > .katex"));
  if (!katex || !display.getClientRects().length) return;
  katex.style.fontSize = "";
  const room = display.clientWidth;
  const need = display.scrollWidth;
  if (!room || need <= room + 1) return;
  katex.style.fontSize = `${Math.max(MIN_SCALE, (room / need) * 0.98).toFixed(3)}em`;
}

/** Keep the display formulas under `root` fitted: when they are rendered and when `root` resizes. */
export function mountDisplayFit(root) {
  /** @type {Set<Element>} */
  const pending = new Set();
  let queued = false;
  const run = () => {
    queued = false;
    for (const box of pending) for (const d of box.querySelectorAll(".katex-display")) fitDisplay(/** @type {HTMLElement} */ (d));
    pending.clear();
  };
  const queue = (/** @type {Element} */ box) => {
    pending.add(box);
    if (!queued) {
      queued = true;
      requestAnimationFrame(run);
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.target instanceof Element && [...r.addedNodes].some((n) => n instanceof Element && (n.matches(".katex-display") || n.querySelector(".katex-display")))) queue(r.target);
    }
  }).observe(root, { childList: true, subtree: true });
  let width = 0;
  new ResizeObserver(() => {
    if (root.clientWidth !== width) queue(root); // a new width, not only a new height
    width = root.clientWidth;
  }).observe(root);
}
