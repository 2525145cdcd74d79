// Many inputs (e.g. 64 pixels) as one node: a box over the input column showing the
// sample's input (an image when the data are pixels), with a button for the per-input
// view; the edges still leave from each input behind it.

import { changes } from "../frame.js";
import { getLanguage, t } from "../i18n.js";

export const GROUP_OVER = 16; // more inputs than this are grouped unless the learner asks

/**
 * @param {any} state
 * @returns {boolean}
 */
export function inputsGrouped(state) {
  return (state.session?.network?.layers?.[0] ?? 0) > GROUP_OVER && state.inputsGrouped !== false;
}

export class InputGroup {
  /**
   * @param {any} group  d3 selection of the <g> to draw in (above the neurons)
   * @param {(grouped: boolean) => void} toggle
   */
  constructor(group, toggle) {
    this.group = group;
    this.toggle = toggle;
    this.changed = changes();
  }

  /** @param {any} state @param {any} layout */
  update(state, layout) {
    const n0 = layout.layers[0];
    const grouped = inputsGrouped(state);
    const x = state.forward?.x_raw?.[0];
    const shape = state.table?.image && state.table.columns.length === n0 ? state.table.image : null;
    if (!this.changed(layout, grouped, n0 > GROUP_OVER, x, shape, getLanguage())) return;
    this.group.selectAll("*").remove();
    if (n0 <= GROUP_OVER) return;
    const ys = layout.nodes.filter((d) => d.l === 0).map((d) => d.y);
    const top = Math.min(...ys) - layout.r - 4;
    const bottom = Math.max(...ys) + layout.r + 4;
    const cx = layout.xs[0];
    const button = this.group.append("g").attr("class", "input-group-toggle")
      .attr("data-action", "toggle-inputs").attr("role", "button").attr("tabindex", 0)
      .attr("transform", `translate(${cx - 56},${bottom + 14})`)
      .on("click", () => this.toggle(!grouped))
      .on("keydown", (event) => { if (event.key === "Enter" || event.key === " ") this.toggle(!grouped); });
    button.append("text").attr("class", "input-group-link")
      .text(grouped ? t("own.showInputs", "▸ each of the {n} inputs", { n: n0 }) : t("own.groupInputs", "▾ group the {n} inputs", { n: n0 }));
    if (!grouped) return;
    const box = this.group.append("g").attr("class", "input-group").attr("data-node", "input-group")
      .attr("data-inputs", String(n0));
    const w = Math.min(96, layout.xs[0] + layout.r + 2);
    box.append("rect").attr("x", cx + layout.r + 2 - w).attr("y", top).attr("width", w).attr("height", bottom - top)
      .attr("rx", 6).attr("fill", "#fff").attr("stroke", "#9aa3b5");
    const side = Math.min(w - 12, (bottom - top) - 30);
    const x0 = cx + layout.r + 2 - w + (w - side) / 2;
    const y0 = top + ((bottom - top) - side) / 2;
    box.append("text").attr("class", "input-group-label").attr("x", x0 + side / 2).attr("y", y0 - 6)
      .attr("text-anchor", "middle").text(t("own.inputGroup", "a⁰ · {n} inputs", { n: n0 }));
    if (shape && x && side > 8) {
      const [rows, cols] = shape;
      const max = Math.max(1, ...x);
      const cell = side / Math.max(rows, cols);
      box.append("g").attr("data-role", "input-image").selectAll("rect").data(x).join("rect")
        .attr("x", (_, i) => x0 + (i % cols) * cell).attr("y", (_, i) => y0 + Math.floor(i / cols) * cell)
        .attr("width", cell + 0.3).attr("height", cell + 0.3)
        .attr("fill", (v) => d3.interpolateGreys(Math.max(0, v) / max));
    }
  }
}
