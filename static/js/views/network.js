// The network view: neurons as circles coloured by their activation a for the selected
// sample, edges with width ∝ |value| and colour by sign, where value is w, ∂C/∂w or the
// last Δw. Forward animates layer by layer left → right, backward right → left with δ; a
// step animates the edges changing. Each part is a layer with its own update (edges,
// nodes, neuron maps, labels); this module lays them out, runs the animation and
// publishes it as data-phase on the stage ("forward" | "backward" | "update" | "idle").
// Hooks: data-node="l:j", data-edge="l:j:k".

import { schedule } from "../frame.js";
import { changes } from "../frame.js";
import { layoutNetwork } from "./network-layout.js";
import { mountLayerHeads } from "./layer-heads.js";
import { InputGroup } from "./network-group.js";
import { EdgeLayer } from "./network-edges.js";
import { NodeLayer } from "./network-nodes.js";
import { NeuronMaps, drawsMaps } from "./network-maps.js";
import { PathHighlights, SideLabels } from "./network-labels.js";
import { hideTooltip } from "./tooltip.js";
import { thinLabels } from "./network-thin.js";
import { fitLabels } from "./label-place.js";
import { inputLabels } from "./network-values.js";
import { inputsGrouped } from "./network-group.js";
import { onLanguageChange, t } from "../i18n.js";

const LAYER_MS = 380;       // forward/backward: time per layer
const UPDATE_MS = 650;      // a step: edges morphing to the new weights (network-edges.js)
const MAX_FLOW_EDGES = 600; // animate the signal along at most this many edges per layer
const FLOW_FORWARD = "#12707f";
const FLOW_BACKWARD = "#1f2a3a";

/**
 * @param {import("../store.js").Store} store
 * @param {import("../actions/index.js").Actions} actions
 * @param {HTMLElement} stage
 */
export function mountNetwork(store, actions, stage) {
  const root = d3.select(stage);
  // A large network's edges are drawn on this canvas, under everything (network-edge-canvas.js)
  const edgeCanvas = root.append("canvas").attr("class", "net-edge-canvas").attr("aria-hidden", "true")
    .property("hidden", true).node();
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
  const gGroup = svg.append("g").attr("class", "input-groups");
  const heads = mountLayerHeads(store, actions, stage);

  const page = { state: () => store.state, select: (selection) => actions.select(selection) };
  const edges = new EdgeLayer({ edges: gEdges, hits: gHits, labels: gEdgeLabels }, page, edgeCanvas);
  const nodes = new NodeLayer(gNodes, page);
  const maps = new NeuronMaps(() => request());
  const side = new SideLabels(gSide);
  const paths = new PathHighlights(gPaths);
  const group = new InputGroup(gGroup, (on) => actions.setInputsGrouped(on));

  let size = { w: stage.clientWidth, h: stage.clientHeight };
  /** @type {import("./network-phase.js").Phase | null} */
  let phase = null;
  let layout = null;
  let morphTimer = null;
  let pinned = false;       // the animation is a class teacher's, as pushed (mirrorPhase)
  let pinnedUpdate = false;
  const layoutChanged = changes();
  const seen = { forward: 0, backward: 0, update: 0 }; // the last animated pass of each kind
  publishPhase();

  new ResizeObserver(() => {
    size = { w: stage.clientWidth, h: stage.clientHeight };
    cssVars = readCssVars(); // a phone's media query gives its heads more room
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

  // a click on the background unselects, unless it hits an edge drawn on the canvas
  svg.on("click", (event) => {
    if (event.target === svg.node() && !edges.clickCanvas(d3.pointer(event))) actions.select(null);
  });
  svg.on("mousemove", (event) => edges.hoverCanvas(event, event.target === svg.node() ? d3.pointer(event) : null));
  svg.on("mouseleave", (event) => edges.hoverCanvas(event, [-1, -1]));
  // the export (classroom/export.js) asks for the hidden SVG curves to be current first
  stage.addEventListener("network:export", () => edges.flush());

  /** @type {Map<string, number>} */
  let widths = new Map();
  let widthsFor = cssVars;
  /** An input label's width in px, in its own font: measured once per font (presenter mode changes it). */
  function textWidth(text) {
    if (widthsFor !== cssVars) [widths, widthsFor] = [new Map(), cssVars];
    let w = widths.get(text);
    if (w === undefined) {
      const probe = svg.append("text").attr("class", "input-label").attr("visibility", "hidden").text(text);
      w = probe.node().getComputedTextLength();
      probe.remove();
      widths.set(text, w);
    }
    return w;
  }

  function request(transition = false) {
    schedule("network", () => render(transition));
  }

  /**
   * The running animation as data-phase (and the layer its signal has reached as
   * data-phase-layer), for tests, scripts and a class's followers to wait on.
   */
  function publishPhase() {
    const name = phase?.kind ?? (morphTimer || pinnedUpdate ? "update" : "idle");
    if (stage.dataset.phase !== name) stage.dataset.phase = name;
    const layer = phase ? String(phase.cursor) : "";
    if (stage.dataset.phaseLayer !== layer) stage.dataset.phaseLayer = layer;
  }

  // A class's follower shows the teacher's animation as pushed, layer by layer, not on a
  // timer of its own (store.mirroredPhase, set by classroom/live.js).
  /** @param {{kind: string, layer: number | null} | null} pin */
  function mirrorPhase(pin) {
    const kind = pin?.kind ?? "idle";
    pinned = kind !== "idle";
    if ((kind === "forward" || kind === "backward") && store.state.session) {
      pinnedUpdate = false;
      const L = store.state.session.network.layers.length - 1;
      const cursor = pin?.layer ?? (kind === "forward" ? 0 : L + 1);
      if (phase?.kind !== kind || phase.timer) {
        stopPhase();
        phase = { kind, index: 0, cursor: -1, timer: null };
      }
      if (phase.cursor !== cursor) {
        phase.cursor = cursor;
        flow(kind, cursor, L);
      }
      render();
      publishPhase();
      return;
    }
    morphTimer?.stop();
    morphTimer = null;
    if (phase) stopPhase();
    pinnedUpdate = kind === "update";
    publishPhase();
    request(pinnedUpdate);
  }
  store.on("mirroredPhase", mirrorPhase);

  // --- animation phases ------------------------------------------------------------------------

  function stopPhase() {
    if (phase?.timer) phase.timer.stop();
    phase = null;
    gFlow.selectAll("*").interrupt().remove();
    publishPhase();
  }

  /** @param {"forward" | "backward"} kind */
  function runPhase(kind) {
    stopPhase();
    const L = store.state.session.network.layers.length - 1;
    const order = kind === "forward" ? d3.range(0, L + 1) : d3.range(L + 1, 0, -1);
    // forward reveals layer 0 … L; backward reveals the loss (L+1), then L … 1
    const current = { kind, index: 0, cursor: order[0], timer: null };
    phase = current;
    publishPhase();
    const advance = () => {
      if (phase !== current) return;
      current.cursor = order[current.index];
      publishPhase();
      flow(kind, current.cursor, L);
      render();
      current.index += 1;
      current.timer = d3.timeout(current.index < order.length ? advance : () => {
        phase = null;
        render();
        publishPhase();
      }, LAYER_MS);
    };
    advance();
  }

  /** A step's edges morph to the new weights: "update" until they have. */
  function runMorph() {
    stopPhase();
    morphTimer?.stop();
    morphTimer = d3.timeout(() => {
      morphTimer = null;
      publishPhase();
    }, UPDATE_MS);
    publishPhase();
    request(true);
  }

  /** A signal running along the edges W^l: into layer l (forward) or back out of it (backward). */
  function flow(kind, l, L) {
    if (l < 1 || l > L) return;
    const data = edges.pathsOf(l).slice(0, MAX_FLOW_EDGES)
      .map((p) => ({ d: p.getAttribute("d"), len: p.getTotalLength() }));
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

  // Each layer redraws only what changed. During Play the weights change every frame (edges),
  // the sample's forward pass a few times a second (neurons) and the boundary grids about
  // ten times (neuron maps); the geometry and hit areas change only with the layout.
  function render(transition = false) {
    const state = store.state;
    const { session, catalog } = state;
    if (!session || !catalog || size.w < 50 || size.h < 50) return;
    const net = session.network;
    // the input names (a table's columns can be long): the left margin widens to fit them
    const names = inputsGrouped(state) ? [] : inputLabels(state);
    if (layoutChanged(String(net.layers), size.w, size.h, cssVars.top, cssVars.minEdgeWidth, names.join("\n"))) {
      const labelWidth = Math.max(0, ...names.map(textWidth));
      layout = layoutNetwork(net.layers, size.w, size.h, { top: cssVars.top, labelWidth });
      layout.minEdgeWidth = cssVars.minEdgeWidth;
      layout.inputNames = fitLabels(names, layout.labelRoom, textWidth);
      edges.setLayout(layout, size);
      nodes.setLayout(layout);
      tellMaps();
    }
    heads.render(layout, state);
    edges.update(state, phase, transition);
    nodes.update(state, phase);
    maps.update(state, layout, nodes.nodes);
    side.update(state, layout, phase);
    paths.update(state, layout);
    group.update(state, layout);
    thinLabels(svg.node(), layout); // no label over another label or a neuron, at every size
  }

  /** Whether this layout's neurons show maps, in the store (Play streams their grids only then). */
  function tellMaps() {
    const on = drawsMaps(maps.on, layout.r);
    if (store.state.neuronMaps !== on) actions.setNeuronMaps(on);
  }

  // --- subscriptions ---------------------------------------------------------------------------

  store.on(["session", "boundary", "selection", "edgeMode", "gradient", "catalog", "sample", "highlightPaths", "playing", "inputsGrouped", "table"], () => request(pinnedUpdate));
  store.on("spec", hideTooltip); // a new network: the hovered element may be gone
  onLanguageChange(() => {
    svg.attr("aria-label", t("net.aria", "The network: neurons and weights"));
    request();
  });
  /** A pass to animate once (not while playing), else a plain redraw. */
  const animates = (kind, pass) => pass?.animate && pass.seq !== seen[kind] && !store.state.playing && !pinned;
  store.on("forward", (f) => {
    if (animates("forward", f)) {
      seen.forward = f.seq;
      runPhase("forward");
    } else {
      if (phase?.kind === "forward" && !pinned) stopPhase();
      request();
    }
  });
  store.on("backward", (b) => {
    if (animates("backward", b)) {
      seen.backward = b.seq;
      runPhase("backward");
    } else {
      request();
    }
  });
  store.on("update", (u) => {
    if (animates("update", u)) {
      seen.update = u.seq;
      runMorph();
    } else {
      request();
    }
  });

  return {
    /** @param {boolean} on  show the neuron maps (the toolbar's toggle) */
    setMaps(on) {
      maps.on = on;
      if (layout) tellMaps();
      request();
    },
  };
}
