// One tooltip for the whole page: a title and rows of (label, value).

const el = () => document.getElementById("tooltip");

/**
 * @param {MouseEvent} event
 * @param {{title: string, rows?: string[][], note?: string}} tip
 */
export function showTooltip(event, { title, rows = [], note }) {
  const tip = el();
  tip.replaceChildren();
  if (title) {
    const t = document.createElement("div");
    t.className = "tt-title";
    t.textContent = title;
    tip.append(t);
  }
  for (const [label, value] of rows) {
    const row = document.createElement("div");
    row.className = "tt-row";
    const a = document.createElement("span");
    a.textContent = label;
    const b = document.createElement("span");
    b.textContent = value;
    row.append(a, b);
    tip.append(row);
  }
  if (note) {
    const n = document.createElement("div");
    n.className = "tt-note";
    n.textContent = note;
    tip.append(n);
  }
  tip.hidden = false;
  moveTooltip(event);
}

export function moveTooltip(event) {
  const tip = el();
  if (tip.hidden) return;
  const pad = 14;
  const { innerWidth: W, innerHeight: H } = window;
  const r = tip.getBoundingClientRect();
  let x = event.clientX + pad;
  let y = event.clientY + pad;
  if (x + r.width > W - 4) x = event.clientX - r.width - pad;
  if (y + r.height > H - 4) y = event.clientY - r.height - pad;
  tip.style.left = `${Math.max(4, x)}px`;
  tip.style.top = `${Math.max(4, y)}px`;
}

export function hideTooltip() {
  el().hidden = true;
}
