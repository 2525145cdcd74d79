// The network view's edges: one curve per weight W^l[j][k] (data-edge="l:j:k"), width ∝ |value|
// and colour by sign, where value is w, ∂C/∂w or the last Δw (the edge mode); their hit areas,
// value labels and exact values as data-w / data-grad / data-dw. Large networks draw their
// edges on a canvas instead (network-edge-canvas.js), above CANVAS_EDGES edges.

import { edgeStep, signedEdge } from "../colors.js";
import { changes, schedule } from "../frame.js";
import { setAttr, setText } from "../dom.js";
import { fmt } from "../format.js";
import { edgeValue, edgeMax } from "./network-values.js";
import { edgeModeAt, phaseKey } from "./network-phase.js";
import { showTooltip, moveTooltip, hideTooltip } from "./tooltip.js";
import { edgeTip } from "./network-tips.js";
import { EdgeCanvas } from "./network-edge-canvas.js";

const UPDATE_MS = 650;         // a step: edges morphing to the new weights
const HOOKS_MS = 1000;         // while playing, refresh the edges' data-w / data-dw at most this often
const EDGES_PER_SECOND = 4000; // while playing, restyle at most about this many edges a second
const MAX_HIT_EDGES = 3000;    // larger networks get no SVG hover/click areas on their edges
// From this many edges on, they are drawn on a canvas. Measured in headless Chromium (see
// scripts/bench_page.py, which plays both): at 6 hidden layers of 16 (1,300 edges) SVG plays
// at 60 fps and the canvas at 52, so it stays SVG; 8×32 (7,300 edges) and the largest
// network (33,000) keep their frame rate on the canvas while their edges show the weights
// far more often. The benchmark's A/B run sets globalThis.BACKPROP_CANVAS_EDGES = Infinity.
const CANVAS_EDGES = Number(globalThis.BACKPROP_CANVAS_EDGES ?? 2000);
// While playing, the canvas redraws at most about this many edges a second, and spends at
// most a third of the time drawing in script: 8×32 redraws about 5 times a second, the
// largest about once (SVG restyles 4,000 edges a second: once in 2 and once in 8 seconds).
const CANVAS_EDGES_PER_SECOND = 40000;

/** @typedef {{id: string, l: number, j: number, k: number, path: string, lx: number, ly: number}} EdgeDatum */

export class EdgeLayer {
  /**
   * @param {{edges: any, hits: any, labels: any}} groups  d3 selections of the <g>s to draw in
   * @param {{state: () => any, select: (selection: object | null) => void}} page
   * @param {HTMLCanvasElement} canvas  under the SVGs, for large networks
   */
  constructor(groups, page, canvas) {
    this.groups = groups;
    this.page = page;
    this.canvas = new EdgeCanvas(canvas);
    this.onCanvas = false;
    this.hovered = null;
    this.paint = null;            // the canvas's next drawing, while it waits for its turn
    this.paintedAt = 0;
    this.paintMs = 0;
    this.layout = null;
    this.edges = groups.edges.selectAll("path.edge");
    this.byLayer = [];            // the edges of W^1 … W^L, one selection per layer
    this.style = null;            // {strokeOf, widthOf} for the latest values
    this.stale = new Set();       // layers l whose edges still show older values
    this.styledAt = 0;
    this.hooksAt = 0;
    this.morphUntil = 0;
    this.selectionChanged = changes();
    this.weightHooksChanged = changes();
    this.gradHooksChanged = changes();
    this.updateHooksChanged = changes();
    this.valuesChanged = changes();
  }

  /** A new layout (or size): geometry and hit areas. */
  setLayout(layout, size) {
    this.layout = layout;
    this.onCanvas = layout.edges.length >= CANVAS_EDGES;
    this.canvas.show(this.onCanvas);
    this.canvas.resize(size.w, size.h);
    // on the canvas the SVG curves are hidden but kept: hooks, selection, signal, export
    this.groups.edges.classed("is-canvas", this.onCanvas);
    this.edges = this.groups.edges.selectAll("path.edge").data(layout.edges, (d) => d.id).join(
      (enter) => enter.append("path").attr("class", "edge").attr("data-edge", (d) => d.id),
    ).attr("d", (d) => d.path);
    this.byLayer = d3.range(1, layout.xs.length).map((l) => this.edges.filter((d) => d.l === l));
    this.groups.hits.selectAll("path.edge-hit").data(layout.edges.length <= MAX_HIT_EDGES ? layout.edges : [], (d) => d.id)
      .join((enter) => enter.append("path").attr("class", "edge-hit")
        .on("mouseenter", (event, d) => showTooltip(event, edgeTip(this.page.state(), d)))
        .on("mousemove", moveTooltip)
        .on("mouseleave", hideTooltip)
        .on("click", (event, d) => {
          event.stopPropagation();
          this.toggle(d);
        }))
      .attr("d", (d) => d.path);
  }

  /** The curves of W^l (the forward/backward signal runs along them). */
  pathsOf(l) {
    return this.byLayer[l - 1]?.nodes() ?? [];
  }

  /**
   * The edge drawn on the canvas under the pointer, or null (the SVG has hit areas of its own).
   * @param {[number, number]} point  in the SVG's coordinates
   */
  canvasEdgeAt(point) {
    return this.onCanvas ? this.canvas.edgeAt(point[0], point[1]) : null;
  }

  /**
   * Hover over the canvas's edges: the same tooltip as an SVG edge's.
   * @param {MouseEvent} event
   * @param {[number, number] | null} point  null: over a neuron or label (it has its own tooltip)
   */
  hoverCanvas(event, point) {
    if (!point) {
      this.hovered = null;
      return;
    }
    const d = this.canvasEdgeAt(point);
    /** @type {SVGElement} */ (event.currentTarget).style.cursor = d ? "pointer" : "";
    if (d === this.hovered) {
      if (d) moveTooltip(event);
      return;
    }
    this.hovered = d;
    if (d) showTooltip(event, edgeTip(this.page.state(), d));
    else hideTooltip();
  }

  /** A click over the canvas: select (or unselect) the edge under it. Whether there was one. */
  clickCanvas(point) {
    const d = this.canvasEdgeAt(point);
    if (d) this.toggle(d);
    return Boolean(d);
  }

  toggle(d) {
    const s = this.page.state().selection;
    const same = s?.kind === "edge" && s.layer === d.l && s.row === d.j && s.column === d.k;
    this.page.select(same ? null : { kind: "edge", layer: d.l, row: d.j, column: d.k });
  }

  /** Bring the hidden SVG curves up to date at once (before an export). */
  flush() {
    this.restyle(false);
  }

  /**
   * Draw `state`'s values; `transition`: a step's edges morph to them over UPDATE_MS.
   * @param {any} state
   * @param {import("./network-phase.js").Phase | null} phase
   * @param {boolean} transition
   */
  update(state, phase, transition) {
    const { layout, edges } = this;
    // the screen's pixel density may change without a resize (zoom, another monitor)
    const redraw = this.onCanvas && this.canvas.resize(this.canvas.size.w, this.canvas.size.h);
    const net = state.session.network;
    const sel = state.selection;
    if (this.selectionChanged(layout, sel)) {
      edges.classed("is-selected", (d) => sel?.kind === "edge" && sel.layer === d.l && sel.row === d.j && sel.column === d.k);
    }
    // The exact values as data-* (read by tests, scripts and the accessibility labels): on
    // every redraw when paused; while playing at most every HOOKS_MS, since for a large
    // network writing thousands of attributes per frame would cost more than drawing it.
    const now = performance.now();
    if (!state.playing || now - this.hooksAt >= HOOKS_MS) {
      this.hooksAt = now;
      if (this.weightHooksChanged(layout, net.weights)) writeHooks(edges, "data-w", state, "weight");
      if (this.gradHooksChanged(layout, state.gradient)) writeHooks(edges, "data-grad", state, "grad");
      if (this.updateHooksChanged(layout, state.update)) writeHooks(edges, "data-dw", state, "update");
    }

    const mode = state.edgeMode;
    const source = mode === "weight" ? net.weights : mode === "grad" ? state.gradient : state.update;
    if (this.valuesChanged(layout, mode, source, net.weights, phaseKey(phase)) || transition || redraw) {
      for (let l = 1; l < layout.xs.length; l++) this.stale.add(l);
      const modeOf = (l) => edgeModeAt(phase, mode, l);
      const eMax = { weight: edgeMax(state, "weight"), grad: edgeMax(state, "grad"), update: edgeMax(state, "update") };
      this.style = {
        strokeOf: (d) => edgeColor(edgeValue(state, modeOf(d.l), d), eMax[modeOf(d.l)]),
        widthOf: (d) => edgeWidth(edgeValue(state, modeOf(d.l), d), eMax[modeOf(d.l)], layout),
      };
      if (this.onCanvas) {
        // one stroke per colour step: the width follows the step's |value| (as edgeWidth)
        const eMaxOf = (l) => eMax[modeOf(l)];
        this.paint = () => this.canvas.draw(layout.edges, (d) => {
          const v = edgeValue(state, modeOf(d.l), d);
          return v === null || !Number.isFinite(v) ? -1 : edgeStep(v, eMaxOf(d.l));
        }, (step) => Number(edgeWidth(step < 0 ? NaN : Math.abs(step / 31.5 - 1), 1, layout)));
      }
      // a step's edges morph over UPDATE_MS; redraws meanwhile continue the morph, not cut it
      if (transition && !this.onCanvas) this.morphUntil = now + UPDATE_MS;
      if (this.morphUntil > now) {
        edges.transition("morph").duration(this.morphUntil - now).ease(d3.easeCubicOut)
          .attr("stroke", this.style.strokeOf).attr("stroke-width", this.style.widthOf);
        this.stale.clear();
      }
      this.drawLabels(state, modeOf);
    }
    this.restyle(state.playing);
    this.paintCanvas(state.playing);
  }

  /** Draw the canvas's latest values, while playing only as often as CANVAS_EDGES_PER_SECOND allows. */
  paintCanvas(playing) {
    if (!this.paint) return;
    const now = performance.now();
    const gap = Math.max((1000 * this.layout.edges.length) / CANVAS_EDGES_PER_SECOND, 3 * this.paintMs);
    if (playing && now - this.paintedAt < gap) {
      schedule("network-edge-canvas", () => this.paintCanvas(this.page.state().playing));
      return;
    }
    this.paint();
    this.paint = null;
    this.paintedAt = now;
    this.paintMs = performance.now() - now;
  }

  /** Value labels on the edges of small networks. */
  drawLabels(state, modeOf) {
    const layout = this.layout;
    const labelled = layout.showEdgeLabels ? layout.edges : [];
    this.groups.labels.selectAll("text.edge-label").data(labelled, (d) => d.id)
      .join("text").attr("class", "edge-label").attr("text-anchor", "middle")
      .attr("x", (d) => d.lx).attr("y", (d) => d.ly - layout.maxEdgeWidth / 2 - 6)
      .each(function (d) {
        const m = modeOf(d.l);
        const prefix = m === "weight" ? "w" : m === "grad" ? "∂C/∂w" : "Δw";
        setText(this, `${prefix} = ${fmt(edgeValue(state, m, d), { digits: 4 })}`);
      });
  }

  /**
   * Restyle the edges whose values changed. While playing, the page restyles at most about
   * EDGES_PER_SECOND edges a second: a small network's edges follow every frame, a large
   * one's a few times a second (6 hidden layers of 16: about three), because re-rasterising
   * a thousand curves on every frame would make every frame miss its deadline. (Restyling
   * a few layers per frame instead was measured slower: each re-rasterises most tiles.)
   * @param {boolean} playing
   */
  restyle(playing) {
    if (!this.stale.size || !this.style) return;
    // on the canvas the (hidden) curves catch up when Play stops, or before an export
    if (playing && this.onCanvas) return;
    const now = performance.now();
    if (playing && now - this.styledAt < (1000 * this.edges.size()) / EDGES_PER_SECOND) {
      schedule("network-edges", () => this.restyle(this.page.state().playing));
      return;
    }
    this.styledAt = now;
    const { strokeOf, widthOf } = this.style;
    for (const l of this.stale) {
      // most edges look the same as a frame ago: leave those untouched
      this.byLayer[l - 1]?.interrupt("morph").each(function (d) {
        setAttr(this, "stroke", strokeOf(d));
        setAttr(this, "stroke-width", widthOf(d));
      });
    }
    this.stale.clear();
  }
}

function edgeColor(v, max) {
  return v === null || !Number.isFinite(v) ? "#dfe3ea" : signedEdge(v, max);
}

/** Stroke width in px, to 1/4 px (finer is hardly visible, and an unchanged width needs no restyle). */
function edgeWidth(v, max, layout) {
  const min = layout.minEdgeWidth ?? 0.6;
  if (!Number.isFinite(v) || !(max > 0)) return String(min);
  const w = min + (Math.max(layout.maxEdgeWidth, min) - min) * Math.min(1, Math.abs(v) / max);
  return String(Math.round(w * 4) / 4);
}

/**
 * The edges' exact values as `attr` (data-w, data-grad, data-dw): the shortest decimal that
 * reads back as the same double ("" when unknown). A plain loop: a large network has
 * thousands of edges, and this runs while playing.
 */
function writeHooks(edges, attr, state, mode) {
  for (const node of edges.nodes()) {
    const v = edgeValue(state, mode, node.__data__);
    node.setAttribute(attr, v === null || !Number.isFinite(v) ? "" : String(v));
  }
}
