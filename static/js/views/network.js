// The network view: neurons as circles coloured by their activation a for the
// selected sample, edges with width ∝ |value| and colour by sign, where value is
// w, ∂C/∂w or the last Δw. Forward animates layer by layer left → right,
// backward right → left with δ; a step animates the edges changing.
// Updated with keyed D3 joins; hooks data-node="l:j" and data-edge="l:j:k".

import { ZERO_ACTIVATION, divergingScale, signed, signedEdge } from "../colors.js";
import { changes, schedule } from "../frame.js";
import { setText } from "../dom.js";
import { activationOf, fmt, plain, weightName } from "../format.js";
import { layoutNetwork } from "./network-layout.js";
import { mountLayerHeads } from "./layer-heads.js";
import {
  nodeValues, edgeValue, edgeMax, deltaMax, isBackwardFresh, inputLabels, isDead, neuronScale, sampleTarget,
} from "./network-values.js";
import { paintHeatmap } from "./heatmap.js";
import { showTooltip, moveTooltip, hideTooltip } from "./tooltip.js";
import { getLanguage, onLanguageChange, t } from "../i18n.js";

const LAYER_MS = 380;       // forward/backward: time per layer
const UPDATE_MS = 650;      // a step: edges morphing to the new weights
const MAX_FLOW_EDGES = 600; // animate the signal along at most this many edges per layer
const MIN_MAP_RADIUS = 8;   // neurons smaller than this show no map
const HOOKS_MS = 1000;      // while playing, refresh the edges' data-w / data-dw at most this often
const EDGES_PER_SECOND = 4000; // while playing, restyle at most about this many edges a second
const MAPS_PER_SECOND = 600;   // … and repaint at most about this many neuron maps a second
const FLOW_FORWARD = "#12707f";
const FLOW_BACKWARD = "#1f2a3a";

export function mountNetwork(store, actions, stage) {
  const root = d3.select(stage);
  // The edges get an SVG (and so a compositing layer) of their own under the rest: redrawing
  // the neurons and their maps then does not re-rasterise every edge, and the other way round.
  const edgeSvg = root.append("svg").attr("class", "net net-edges");
  const gPaths = edgeSvg.append("g").attr("class", "path-highlights"); // under the edges: a glow
  const gEdges = edgeSvg.append("g").attr("class", "edges");
  // role=group, not img: the neurons and edges inside are focusable and labelled with their values
  const svg = root.append("svg").attr("class", "net").attr("role", "group")
    .attr("aria-label", t("net.aria", "The network: neurons and weights"));
  const gHits = svg.append("g").attr("class", "edge-hits");
  const gFlow = svg.append("g").attr("class", "flows");
  const gEdgeLabels = svg.append("g").attr("class", "edge-labels");
  const gNodes = svg.append("g").attr("class", "nodes");
  const gSide = svg.append("g").attr("class", "side-labels");
  const heads = mountLayerHeads(store, actions, stage);

  let size = { w: stage.clientWidth, h: stage.clientHeight };
  let phase = null;          // running animation: {kind, upto|downto, timer}
  let lastUpdateSeq = 0;
  let lastForwardSeq = 0;
  let lastBackwardSeq = 0;
  let showMaps = true;
  let morphUntil = 0;

  new ResizeObserver(() => {
    size = { w: stage.clientWidth, h: stage.clientHeight };
    for (const s of [edgeSvg, svg]) s.attr("width", size.w).attr("height", size.h);
    request();
  }).observe(stage);

  // The page's CSS may change the room above the neurons and the thinnest edge (presenter
  // mode sets them through the body's class and data-presenter-hide). Read once per change
  // of those, not per redraw: getComputedStyle in a redraw forces a style recalculation.
  let cssVars = readCssVars();
  function readCssVars() {
    const css = getComputedStyle(stage);
    return {
      top: parseFloat(css.getPropertyValue("--network-top")) || undefined,
      minEdgeWidth: parseFloat(css.getPropertyValue("--edge-min-width")) || 0.6,
    };
  }
  new MutationObserver(() => {
    const next = readCssVars();
    if (next.top === cssVars.top && next.minEdgeWidth === cssVars.minEdgeWidth) return;
    cssVars = next;
    request();
  }).observe(document.body, { attributes: true, attributeFilter: ["class", "data-presenter-hide"] });

  svg.on("click", (event) => {
    if (event.target === svg.node()) actions.select(null);
  });

  function request(opts) {
    schedule("network", () => render(opts));
  }

  // --- animation phases ------------------------------------------------------------------------

  function stopPhase() {
    if (phase?.timer) phase.timer.stop();
    phase = null;
    gFlow.selectAll("*").interrupt().remove();
  }

  function runPhase(kind, layers, L) {
    stopPhase();
    const order = kind === "forward" ? d3.range(0, L + 1) : d3.range(L + 1, 0, -1);
    // forward reveals layer 0 … L; backward reveals the loss (L+1), then L … 1
    phase = { kind, index: 0, cursor: order[0], timer: null };
    const advance = () => {
      if (!phase) return;
      phase.cursor = order[phase.index];
      flow(kind, phase.cursor, layers);
      render();
      phase.index += 1;
      if (phase.index < order.length) {
        phase.timer = d3.timeout(advance, LAYER_MS);
      } else {
        phase.timer = d3.timeout(() => {
          phase = null;
          render();
        }, LAYER_MS);
      }
    };
    advance();
  }

  /** A signal running along the edges W^l: into layer l (forward) or back out of it (backward). */
  function flow(kind, l, layers) {
    if (l < 1 || l > layers.length - 1) return;
    const paths = gEdges.selectAll("path.edge").filter((d) => d.l === l).nodes().slice(0, MAX_FLOW_EDGES);
    const data = paths.map((p) => ({ d: p.getAttribute("d"), len: p.getTotalLength() }));
    const sel = gFlow.selectAll(null).data(data).enter().append("path")
      .attr("d", (d) => d.d)
      .attr("fill", "none")
      .attr("stroke", kind === "forward" ? FLOW_FORWARD : FLOW_BACKWARD)
      .attr("stroke-width", 2.5)
      .attr("stroke-linecap", "round")
      .attr("stroke-dasharray", (d) => `${d.len * 0.35} ${d.len * 2}`)
      .attr("stroke-dashoffset", (d) => (kind === "forward" ? d.len * 0.35 : -d.len));
    sel.transition().duration(LAYER_MS).ease(d3.easeCubicInOut)
      .attr("stroke-dashoffset", (d) => (kind === "forward" ? -d.len : d.len * 0.35))
      .transition().duration(120).attr("stroke-opacity", 0).remove();
  }

  // --- drawing ---------------------------------------------------------------------------------

  // Each part of the drawing is redrawn only when what it depends on has changed. During
  // Play the weights change every frame (edges), the sample's forward pass a few times a
  // second (neurons) and the boundary grids about ten times (neuron maps); the geometry,
  // the hit areas and the labels' positions change only with the layout.
  let layout = null;
  let hooksWrittenAt = 0;
  let edgeLayers = [];           // the edges of W^1 … W^L, one selection per layer
  let edgeStyle = null;          // {strokeOf, widthOf} for the latest values
  const staleLayers = new Set(); // layers l whose edges still show older values
  let edgesStyledAt = 0;
  let mapsDrawnAt = 0;
  const layoutChanged = changes();
  const selectionChanged = changes();
  const weightHooksChanged = changes();
  const gradHooksChanged = changes();
  const updateHooksChanged = changes();
  const edgesChanged = changes();
  const nodesChanged = changes();
  const mapsChanged = changes();
  const sideChanged = changes();
  const pathsChanged = changes();

  function render({ transition = false } = {}) {
    const state = store.state;
    const { session, catalog } = state;
    if (!session || !catalog || size.w < 50 || size.h < 50) return;
    const net = session.network;
    const newLayout = layoutChanged(String(net.layers), size.w, size.h, cssVars.top, cssVars.minEdgeWidth);
    if (newLayout) {
      layout = layoutNetwork(net.layers, size.w, size.h, { top: cssVars.top });
      layout.minEdgeWidth = cssVars.minEdgeWidth;
    }
    const L = net.layers.length - 1;
    heads.render(layout, state);

    const fresh = isBackwardFresh(state);
    const phaseKey = phase ? `${phase.kind}:${phase.cursor}` : "";
    const mode = state.edgeMode;
    const sel = state.selection;

    // edges: geometry and hit areas with the layout; hooks (data-w, data-grad, data-dw) with their values
    let edges = gEdges.selectAll("path.edge");
    if (newLayout) {
      edges = edges.data(layout.edges, (d) => d.id).join(
        (enter) => enter.append("path").attr("class", "edge").attr("data-edge", (d) => d.id),
      ).attr("d", (d) => d.path);
      gHits.selectAll("path.edge-hit").data(layout.edges.length <= 3000 ? layout.edges : [], (d) => d.id)
        .join((enter) => enter.append("path").attr("class", "edge-hit")
          .on("mouseenter", (event, d) => showTooltip(event, edgeTip(store.state, d)))
          .on("mousemove", moveTooltip)
          .on("mouseleave", hideTooltip)
          .on("click", (event, d) => {
            event.stopPropagation();
            const s = store.state.selection;
            const same = s?.kind === "edge" && s.layer === d.l && s.row === d.j && s.column === d.k;
            actions.select(same ? null : { kind: "edge", layer: d.l, row: d.j, column: d.k });
          }))
        .attr("d", (d) => d.path);
    }
    const newSelection = selectionChanged(layout, sel);
    if (newSelection) {
      edges.classed("is-selected", (d) => sel?.kind === "edge" && sel.layer === d.l && sel.row === d.j && sel.column === d.k);
    }
    // The exact values as data-* (read by tests, scripts and the accessibility labels): on
    // every redraw when paused; while playing at most every HOOKS_MS, since for a large
    // network writing thousands of attributes per frame would cost more than drawing it.
    const now = performance.now();
    if (!state.playing || now - hooksWrittenAt >= HOOKS_MS) {
      hooksWrittenAt = now;
      if (weightHooksChanged(layout, net.weights)) writeHooks(edges, "data-w", state, "weight");
      if (gradHooksChanged(layout, state.gradient)) writeHooks(edges, "data-grad", state, "grad");
      if (updateHooksChanged(layout, state.update)) writeHooks(edges, "data-dw", state, "update");
    }

    const edgeSource = mode === "weight" ? net.weights : mode === "grad" ? state.gradient : state.update;
    if (newLayout) edgeLayers = d3.range(1, L + 1).map((l) => edges.filter((d) => d.l === l));
    if (edgesChanged(layout, mode, edgeSource, net.weights, phaseKey) || transition) {
      for (let l = 1; l <= L; l++) staleLayers.add(l);
      const edgeModeFor = (l) => (phase?.kind === "backward" && mode === "grad" && l < phase.cursor ? "weight" : mode);
      const eMax = { weight: edgeMax(state, "weight"), grad: edgeMax(state, "grad"), update: edgeMax(state, "update") };
      edgeStyle = {
        strokeOf: (d) => edgeColor(edgeValue(state, edgeModeFor(d.l), d), eMax[edgeModeFor(d.l)]),
        widthOf: (d) => edgeWidth(edgeValue(state, edgeModeFor(d.l), d), eMax[edgeModeFor(d.l)], layout),
      };
      // a step's edges morph over UPDATE_MS; redraws meanwhile continue the morph, not cut it
      if (transition) morphUntil = now + UPDATE_MS;
      if (morphUntil > now) {
        edges.transition("morph").duration(morphUntil - now).ease(d3.easeCubicOut)
          .attr("stroke", edgeStyle.strokeOf).attr("stroke-width", edgeStyle.widthOf);
        staleLayers.clear();
      }

      // value labels on the edges of small networks
      const labelled = layout.showEdgeLabels ? layout.edges : [];
      gEdgeLabels.selectAll("text.edge-label").data(labelled, (d) => d.id)
        .join("text").attr("class", "edge-label").attr("text-anchor", "middle")
        .attr("x", (d) => d.lx).attr("y", (d) => d.ly - layout.maxEdgeWidth / 2 - 6)
        .each(function (d) {
          const m = edgeModeFor(d.l);
          const prefix = m === "weight" ? "w" : m === "grad" ? "∂C/∂w" : "Δw";
          setText(this, `${prefix} = ${fmt(edgeValue(state, m, d), { digits: 4 })}`);
        });
    }
    restyleEdges(state.playing);

    // nodes
    const r = layout.r;
    const scaleCache = new Map();
    const scaleOf = (d) => {
      if (!scaleCache.has(d.id)) scaleCache.set(d.id, neuronScale(state, d.l, d.j));
      return scaleCache.get(d.id);
    };
    let nodes = gNodes.selectAll("g.node");
    if (newLayout) {
      nodes = nodes.data(layout.nodes, (d) => d.id).join((enter) => {
        const g = enter.append("g").attr("class", "node").attr("data-node", (d) => d.id);
        g.append("circle").attr("class", "halo");
        g.append("circle").attr("class", "body");
        g.append("text").attr("class", "node-label");
        g.append("text").attr("class", "node-label node-label-side");
        g.on("mouseenter", (event, d) => showTooltip(event, nodeTip(store.state, d)))
          .on("mousemove", moveTooltip)
          .on("mouseleave", hideTooltip)
          .on("click", (event, d) => {
            event.stopPropagation();
            const s = store.state.selection;
            const same = s?.kind === "node" && s.layer === d.l && s.index === d.j;
            actions.select(same ? null : { kind: "node", layer: d.l, index: d.j });
          });
        return g;
      }).attr("transform", (d) => `translate(${d.x},${d.y})`);
      nodes.select("circle.body").attr("r", r);
      nodes.select("circle.halo").attr("r", r + 4);
    }
    if (newSelection) nodes.classed("is-selected", (d) => sel?.kind === "node" && sel.layer === d.l && sel.index === d.j);
    // (the input neurons' colour scale spans their feature's grid)
    if (nodesChanged(layout, state.forward, state.backward, fresh, phaseKey, net.activations, catalog, state.boundary?.inputs, session.dead, session.step)) {
      // during a forward animation, layers the signal has not reached yet are blank
      const values = nodeValues(state, {
        forward: state.forward,
        showA: (l) => phase?.kind !== "forward" || l <= phase.cursor,
        showDelta: (l) => fresh && phase?.kind !== "forward" && (phase?.kind !== "backward" || l >= phase.cursor),
      });
      const dMax = deltaMax(state);
      nodes.each(function (d) {
        const a = values.a(d.l, d.j);
        const delta = values.delta(d.l, d.j);
        setAttr(this, "data-a", plain(a, 12));
        setAttr(this, "data-delta", plain(delta, 12));
        const s = scaleOf(d);
        const off = s.zero && a === 0; // a ReLU that is off: dark, not the pale "near 0"
        const dead = isDead(state, d.l, d.j);
        setAttr(this, "data-off", String(off));
        setAttr(this, "data-dead", String(dead));
        this.classList.toggle("is-off", off);
        this.classList.toggle("is-dead", dead);
        setAttr(this.querySelector("circle.body"), "fill", a === null ? "#ffffff" : off ? ZERO_ACTIVATION : divergingScale(s.lo, s.mid, s.hi)(a));
        setAttr(this.querySelector("circle.halo"), "stroke", delta === null ? "none" : signed(delta, dMax));
      });
      renderNodeLabels(nodes, layout, values);
    }

    // small heatmaps inside hidden/output neurons (TensorFlow Playground style)
    const boundary = state.boundary;
    const drawsMaps = showMaps && r >= MIN_MAP_RADIUS;
    if (state.neuronMaps !== drawsMaps) store.set({ neuronMaps: drawsMaps });
    const mapsDue = !state.playing || now - mapsDrawnAt >= (1000 * layout.nodes.length) / MAPS_PER_SECOND;
    if (!mapsDue) request(); // the newest grids are drawn when the rate allows
    else if (mapsChanged(layout, boundary, showMaps, net.activations, catalog, session.id)) {
      mapsDrawnAt = now;
      const mapsOn = showMaps && !!boundary?.neurons;
      nodes.each(function (d) {
        const g = d3.select(this);
        const values = d.l === 0 ? boundary?.inputs?.[d.j] : boundary?.neurons?.[d.l - 1]?.[d.j];
        const want = mapsOn && r >= MIN_MAP_RADIUS && values;
        let fo = g.select("foreignObject.nmap-fo");
        if (!want) {
          fo.remove();
          return;
        }
        const inner = r >= 14 ? r - 3.5 : r - 2;
        if (fo.empty()) {
          fo = g.insert("foreignObject", "text").attr("class", "nmap-fo");
          fo.append("xhtml:canvas").attr("class", "nmap");
        }
        if (Number(fo.attr("width")) !== 2 * inner) {
          fo.attr("x", -inner).attr("y", -inner).attr("width", 2 * inner).attr("height", 2 * inner);
        }
        const canvas = fo.select("canvas").node();
        const s = scaleOf(d);
        paintHeatmap(canvas, boundary, values, (v) => v, s, `${boundary.step}:${d.id}:${s.lo}:${s.hi}:${s.zero}:${session.id}`);
      });
    }

    if (sideChanged(layout, catalog, net.features, session.dataset, state.sample, fresh, state.backward, phaseKey, getLanguage())) {
      renderSideLabels(layout, state, L, fresh);
    }
    if (pathsChanged(layout, state.highlightPaths)) renderPathHighlights(layout, state);
  }

  /**
   * Restyle the edges whose values changed. While playing, the page restyles at most about
   * EDGES_PER_SECOND edges a second: a small network's edges follow every frame, a large
   * one's a few times a second (6 hidden layers of 16: about three), because re-rasterising
   * a thousand curves on every frame would make every frame miss its deadline. (Restyling
   * a few layers per frame instead was measured slower: each re-rasterises most tiles.)
   */
  function restyleEdges(playing) {
    if (!staleLayers.size || !edgeStyle) return;
    const now = performance.now();
    const count = d3.sum(edgeLayers, (layer) => layer.size());
    if (playing && now - edgesStyledAt < (1000 * count) / EDGES_PER_SECOND) {
      schedule("network-edges", () => restyleEdges(store.state.playing));
      return;
    }
    edgesStyledAt = now;
    const { strokeOf, widthOf } = edgeStyle;
    for (const l of staleLayers) {
      // most edges look the same as a frame ago: leave those untouched
      edgeLayers[l - 1]?.interrupt("morph").each(function (d) {
        setAttr(this, "stroke", strokeOf(d));
        setAttr(this, "stroke-width", widthOf(d));
      });
    }
    staleLayers.clear();
  }

  /** Value labels under the neurons (δ to the right where a column is too dense for two lines). */
  function renderNodeLabels(nodes, layout, values) {
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
    nodes.select("text.node-label-side")
      .each(function () {
        setAttr(this, "x", String(r + 6));
        setAttr(this, "y", "4");
        setAttr(this, "text-anchor", "start");
      })
      .selectAll("tspan.line").data((d) => lines(d, true), (t) => t.k).join((enter) => {
        const t = enter.append("tspan").attr("class", "line");
        t.append("tspan").attr("class", "k");
        t.append("tspan").attr("class", "v");
        return t;
      })
      .call(lineText);
    nodes.select("text.node-label:not(.node-label-side)")
      .each(function () { setAttr(this, "y", String(r + 14)); })
      .selectAll("tspan.line").data((d) => lines(d, false), (t) => t.k).join((enter) => {
        const t = enter.append("tspan").attr("class", "line").attr("text-anchor", "middle");
        t.append("tspan").attr("class", "k");
        t.append("tspan").attr("class", "v");
        return t;
      })
      .each(function (t, i) {
        setAttr(this, "x", "0");
        setAttr(this, "dy", i === 0 ? "0" : "14");
      })
      .call(lineText);
  }

  /** state.highlightPaths (teaching panels): a glow under each path's edges, strongest first. */
  function renderPathHighlights(layout, state) {
    const byId = new Map(layout.edges.map((e) => [e.id, e]));
    const items = (state.highlightPaths ?? []).flatMap((p, rank) => p.edges
      .filter((id) => byId.has(id)).map((id) => ({ key: `${rank}:${id}`, id, rank, path: byId.get(id).path })));
    gPaths.selectAll("path.path-highlight").data(items, (d) => d.key).join("path")
      .attr("class", (d) => `path-highlight rank-${Math.min(d.rank, 3)}`)
      .attr("data-path-edge", (d) => d.id).attr("data-path-rank", (d) => d.rank)
      .attr("d", (d) => d.path).attr("stroke-width", layout.maxEdgeWidth + 8);
  }

  function renderSideLabels(layout, state, L, fresh) {
    const labels = inputLabels(state);
    const inputs = layout.nodes.filter((d) => d.l === 0);
    gSide.selectAll("text.input-label").data(inputs, (d) => d.id).join("text")
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
    gSide.selectAll("text.output-label").data(items).join("text")
      .attr("class", "output-label")
      .attr("x", cx).attr("y", (_, i) => y + (i - (items.length - 1) / 2) * 18)
      .text((t) => t);
  }

  // --- subscriptions ---------------------------------------------------------------------------

  store.on(["session", "boundary", "selection", "edgeMode", "gradient", "catalog", "sample", "highlightPaths", "playing"], () => request());
  store.on("spec", hideTooltip); // a new network: the hovered element may be gone
  onLanguageChange(() => {
    svg.attr("aria-label", t("net.aria", "The network: neurons and weights"));
    request();
  });
  store.on("forward", (f) => {
    if (f?.animate && f.seq !== lastForwardSeq && !store.state.playing) {
      lastForwardSeq = f.seq;
      runPhase("forward", store.state.session.network.layers, store.state.session.network.layers.length - 1);
    } else {
      if (phase?.kind === "forward") stopPhase();
      request();
    }
  });
  store.on("backward", (b) => {
    if (b?.animate && b.seq !== lastBackwardSeq && !store.state.playing) {
      lastBackwardSeq = b.seq;
      runPhase("backward", store.state.session.network.layers, store.state.session.network.layers.length - 1);
    } else {
      request();
    }
  });
  store.on("update", (u) => {
    if (u?.animate && u.seq !== lastUpdateSeq && !store.state.playing) {
      lastUpdateSeq = u.seq;
      stopPhase();
      schedule("network", () => render({ transition: true }));
    } else {
      request();
    }
  });

  return {
    setMaps(on) {
      showMaps = on;
      request();
    },
  };
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

/** Set an attribute only when it differs: even an equal value makes Blink lay the SVG out again. */
function setAttr(node, name, value) {
  if (node.getAttribute(name) !== value) node.setAttribute(name, value);
}


// --- tooltips ----------------------------------------------------------------------------------

function nodeTip(state, d) {
  const net = state.session.network;
  const v = nodeValues(state, { forward: state.forward, showA: () => true, showDelta: () => isBackwardFresh(state) });
  const rows = [];
  if (d.l === 0) {
    const label = inputLabels(state)[d.j] ?? `x${d.j + 1}`;
    rows.push(["a⁰ = x", fmt(v.a(0, d.j), { digits: 4 })]);
    return { title: t("tip.input", "Input {label} (layer 0, neuron {j})", { label, j: d.j }), rows, note: t("tip.clickToSelect", "click to select") };
  }
  rows.push(["z", fmt(v.z(d.l, d.j), { digits: 4 })]);
  rows.push([`a = ${activationOf(net.activations[d.l - 1])}`, fmt(v.a(d.l, d.j), { digits: 4 })]);
  if (isDead(state, d.l, d.j)) rows.push([t("tip.dead", "dead"), t("tip.deadWhy", "a = 0 on every training sample")]);
  if (v.delta(d.l, d.j) !== null) rows.push(["δ = ∂C/∂z", fmt(v.delta(d.l, d.j), { digits: 4 })]);
  if (net.biases) rows.push(["b", fmt(net.biases[d.l - 1][d.j], { digits: 4 })]);
  const g = state.gradient?.biases?.[d.l - 1]?.[d.j];
  if (g !== undefined && g !== null) rows.push(["∂C/∂b", fmt(g, { digits: 4 })]);
  const L = net.layers.length - 1;
  const params = { j: d.j, l: d.l, act: net.activations[d.l - 1] };
  return {
    title: d.l === L ? t("tip.outputNeuron", "Output neuron {j} of layer {l} (σ = {act})", params)
      : t("tip.hiddenNeuron", "Hidden neuron {j} of layer {l} (σ = {act})", params),
    rows,
    note: state.forward ? t("tip.sample", "sample: {split} #{index}", { split: t(`split.${state.forward.sample.split}`, state.forward.sample.split), index: state.forward.sample.index }) : undefined,
  };
}

function edgeTip(state, d) {
  const rows = [["w", fmt(edgeValue(state, "weight", d), { digits: 4 })]];
  const g = edgeValue(state, "grad", d);
  if (g !== null) rows.push(["∂C/∂w", fmt(g, { digits: 4 })]);
  const u = edgeValue(state, "update", d);
  if (u !== null) rows.push([state.update?.steps > 1 ? t("tip.dwSteps", "Δw (last {n} steps)", { n: state.update.steps }) : t("tip.dwStep", "Δw (last step)"), fmt(u, { digits: 4 })]);
  const src = state.gradient;
  const note = src ? (src.source === "sample"
    ? t("tip.gradSample", "∂C/∂w of {split} sample #{index}", { split: t(`split.${src.sample.split}`, src.sample.split), index: src.sample.index })
    : t("tip.gradBatch", "∂C/∂w of the minibatch of step {step}", { step: src.step + 1 })) : undefined;
  const title = `${weightName(d.l, d.j, d.k)}: ${t("tip.edge", "neuron {k} of layer {from} → neuron {j} of layer {l}", { k: d.k, from: d.l - 1, j: d.j, l: d.l })}`;
  return { title, rows, note };
}
