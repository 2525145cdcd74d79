// The network view's neurons (data-node="l:j"): circles filled by the activation a of the
// selected sample, a halo by δ, value labels, and their exact values as data-a / data-delta.

import { ZERO_ACTIVATION, divergingScale, signed } from "../colors.js";
import { changes } from "../frame.js";
import { setAttr, setText } from "../dom.js";
import { fmt, plain } from "../format.js";
import { nodeValues, deltaMax, isBackwardFresh, isDead, neuronScale } from "./network-values.js";
import { phaseKey, showsA, showsDelta } from "./network-phase.js";
import { showTooltip, moveTooltip, hideTooltip } from "./tooltip.js";
import { nodeTip } from "./network-tips.js";

/** @typedef {{id: string, l: number, j: number, x: number, y: number}} NodeDatum */

export class NodeLayer {
  /**
   * @param {any} group  d3 selection of the <g> to draw in
   * @param {{state: () => any, select: (selection: object | null) => void}} page
   */
  constructor(group, page) {
    this.group = group;
    this.page = page;
    this.layout = null;
    /** one <g class="node"> per neuron (the neuron maps go inside) */
    this.nodes = group.selectAll("g.node");
    this.selectionChanged = changes();
    this.valuesChanged = changes();
  }

  /** A new layout: positions and radii. */
  setLayout(layout) {
    this.layout = layout;
    this.nodes = this.group.selectAll("g.node").data(layout.nodes, (d) => d.id).join((enter) => {
      const g = enter.append("g").attr("class", "node").attr("data-node", (d) => d.id);
      g.append("circle").attr("class", "halo");
      g.append("circle").attr("class", "body");
      g.append("text").attr("class", "node-label");
      g.append("text").attr("class", "node-label node-label-side");
      g.on("mouseenter", (event, d) => showTooltip(event, nodeTip(this.page.state(), d)))
        .on("mousemove", moveTooltip)
        .on("mouseleave", hideTooltip)
        .on("click", (event, d) => {
          event.stopPropagation();
          const s = this.page.state().selection;
          const same = s?.kind === "node" && s.layer === d.l && s.index === d.j;
          this.page.select(same ? null : { kind: "node", layer: d.l, index: d.j });
        });
      return g;
    }).attr("transform", (d) => `translate(${d.x},${d.y})`);
    this.nodes.select("circle.body").attr("r", layout.r);
    this.nodes.select("circle.halo").attr("r", layout.r + 4);
  }

  /**
   * @param {any} state
   * @param {import("./network-phase.js").Phase | null} phase
   */
  update(state, phase) {
    const { layout, nodes } = this;
    const sel = state.selection;
    if (this.selectionChanged(layout, sel)) nodes.classed("is-selected", (d) => sel?.kind === "node" && sel.layer === d.l && sel.index === d.j);
    const fresh = isBackwardFresh(state);
    const net = state.session.network;
    // (the input neurons' colour scale spans their feature's grid)
    if (!this.valuesChanged(layout, state.forward, state.backward, fresh, phaseKey(phase), net.activations, state.catalog, state.boundary?.inputs, state.session.dead, state.session.step)) return;
    // during a forward animation, layers the signal has not reached yet are blank
    const values = nodeValues(state, {
      forward: state.forward,
      showA: (l) => showsA(phase, l),
      showDelta: (l) => fresh && showsDelta(phase, l),
    });
    const dMax = deltaMax(state);
    nodes.each(function (d) {
      const a = values.a(d.l, d.j);
      const delta = values.delta(d.l, d.j);
      setAttr(this, "data-a", plain(a, 12));
      setAttr(this, "data-delta", plain(delta, 12));
      const s = neuronScale(state, d.l, d.j);
      const off = s.zero && a === 0; // a ReLU that is off: dark, not the pale "near 0"
      const dead = isDead(state, d.l, d.j);
      setAttr(this, "data-off", String(off));
      setAttr(this, "data-dead", String(dead));
      this.classList.toggle("is-off", off);
      this.classList.toggle("is-dead", dead);
      setAttr(this.querySelector("circle.body"), "fill", a === null ? "#ffffff" : off ? ZERO_ACTIVATION : divergingScale(s.lo, s.mid, s.hi)(a));
      setAttr(this.querySelector("circle.halo"), "stroke", delta === null ? "none" : signed(delta, dMax));
    });
    this.drawLabels(values);
  }

  /** Value labels under the neurons (δ to the right where a column is too dense for two lines). */
  drawLabels(values) {
    const { layout, nodes } = this;
    const r = layout.r;
    const lines = (d, side) => {
      if (!layout.showNodeLabels) return [];
      const out = [];
      const a = values.a(d.l, d.j);
      const stacked = layout.stackLabels[d.l];
      if (a !== null && !side) out.push({ k: "a", v: fmt(a), cls: "a" });
      const dv = values.delta(d.l, d.j);
      if (dv !== null && d.l > 0 && stacked !== side) out.push({ k: "δ", v: fmt(dv), cls: "d" });
      return out;
    };
    const lineText = (t) => t
      .each(function (x) { setText(this.querySelector("tspan.k"), `${x.k} `); })
      .each(function (x) {
        const v = this.querySelector("tspan.v");
        setAttr(v, "class", `v ${x.cls}`);
        setText(v, x.v);
      });
    const enterLine = (enter, anchor) => {
      const t = enter.append("tspan").attr("class", "line");
      if (anchor) t.attr("text-anchor", anchor);
      t.append("tspan").attr("class", "k");
      t.append("tspan").attr("class", "v");
      return t;
    };
    nodes.select("text.node-label-side")
      .each(function () {
        setAttr(this, "x", String(r + 6));
        setAttr(this, "y", "4");
        setAttr(this, "text-anchor", "start");
      })
      .selectAll("tspan.line").data((d) => lines(d, true), (t) => t.k).join((enter) => enterLine(enter, null))
      .call(lineText);
    nodes.select("text.node-label:not(.node-label-side)")
      .each(function () { setAttr(this, "y", String(r + 14)); })
      .selectAll("tspan.line").data((d) => lines(d, false), (t) => t.k).join((enter) => enterLine(enter, "middle"))
      .each(function (t, i) {
        setAttr(this, "x", "0");
        setAttr(this, "dy", i === 0 ? "0" : "14");
      })
      .call(lineText);
  }
}
