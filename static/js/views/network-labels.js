// The network view's labels around the neurons (input names; the target y and the loss C
// right of the output layer) and the glow under the paths a teaching panel emphasises.

import { changes } from "../frame.js";
import { fmt } from "../format.js";
import { getLanguage } from "../i18n.js";
import { inputLabels, isBackwardFresh, sampleTarget } from "./network-values.js";
import { phaseKey } from "./network-phase.js";
import { inputsGrouped } from "./network-group.js";

export class SideLabels {
  /** @param {any} group  d3 selection of the <g> to draw in */
  constructor(group) {
    this.group = group;
    this.changed = changes();
  }

  /**
   * @param {any} state
   * @param {any} layout
   * @param {import("./network-phase.js").Phase | null} phase
   */
  update(state, layout, phase) {
    const { session, catalog } = state;
    const fresh = isBackwardFresh(state);
    if (!this.changed(layout, catalog, session.network.features, session.dataset, state.table, state.sample, fresh, state.backward, phaseKey(phase), getLanguage(), inputsGrouped(state))) return;
    const L = layout.xs.length - 1;
    const labels = layout.inputNames ?? inputLabels(state); // shortened to fit (network.js)
    const inputs = inputsGrouped(state) ? [] : layout.nodes.filter((d) => d.l === 0); // grouped: one node, no names
    this.group.selectAll("text.input-label").data(inputs, (d) => d.id).join("text")
      .attr("class", "input-label")
      .attr("x", (d) => d.x - layout.r - 8).attr("y", (d) => d.y)
      .text((d) => labels[d.j] ?? `x${d.j + 1}`);

    // the loss box right of the output layer: target y and, after backward, C
    const outs = layout.nodes.filter((d) => d.l === L);
    const cx = layout.xs[L] + layout.r + 12;
    const y = outs.length ? d3.mean(outs, (d) => d.y) : 0;
    const target = sampleTarget(state);
    const lossShown = fresh && (phase?.kind !== "backward" || phase.cursor <= L + 1);
    const items = [];
    if (target) items.push(`y = ${target}`);
    if (lossShown && state.backward?.loss !== undefined) items.push(`C = ${fmt(state.backward.loss, { digits: 4 })}`);
    this.group.selectAll("text.output-label").data(items).join("text")
      .attr("class", "output-label")
      .attr("x", cx).attr("y", (_, i) => y + (i - (items.length - 1) / 2) * 18)
      .text((t) => t);
  }
}

export class PathHighlights {
  /** @param {any} group  d3 selection of the <g> under the edges */
  constructor(group) {
    this.group = group;
    this.changed = changes();
  }

  /** state.highlightPaths (teaching panels): a glow under each path's edges, strongest first. */
  update(state, layout) {
    if (!this.changed(layout, state.highlightPaths)) return;
    const byId = new Map(layout.edges.map((e) => [e.id, e]));
    const items = (state.highlightPaths ?? []).flatMap((p, rank) => p.edges
      .filter((id) => byId.has(id)).map((id) => ({ key: `${rank}:${id}`, id, rank, path: byId.get(id).path })));
    this.group.selectAll("path.path-highlight").data(items, (d) => d.key).join("path")
      .attr("class", (d) => `path-highlight rank-${Math.min(d.rank, 3)}`)
      .attr("data-path-edge", (d) => d.id).attr("data-path-rank", (d) => d.rank)
      .attr("d", (d) => d.path).attr("stroke-width", layout.maxEdgeWidth + 8);
  }
}
