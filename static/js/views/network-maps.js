// Small heatmaps inside the neurons (TensorFlow Playground style): each neuron's activation
// over the input plane, from the boundary grids, on a canvas in the neuron's <g>.

import { changes } from "../frame.js";
import { paintHeatmap } from "./heatmap.js";
import { neuronScale } from "./network-values.js";

const MIN_MAP_RADIUS = 8;    // neurons smaller than this show no map
const MAPS_PER_SECOND = 600; // while playing, repaint at most about this many neuron maps a second

/** Whether neurons of radius `r` show maps when maps are `on`. */
export const drawsMaps = (on, r) => on && r >= MIN_MAP_RADIUS;

export class NeuronMaps {
  /** @param {() => void} request  asks for another redraw (when the rate defers a repaint) */
  constructor(request) {
    this.request = request;
    this.on = true;
    this.drawnAt = 0;
    this.changed = changes();
  }

  /**
   * @param {any} state
   * @param {{r: number, nodes: unknown[]}} layout
   * @param {any} nodes  the neurons' <g> selection (NodeLayer.nodes)
   */
  update(state, layout, nodes) {
    const now = performance.now();
    if (state.playing && now - this.drawnAt < (1000 * layout.nodes.length) / MAPS_PER_SECOND) {
      this.request(); // the newest grids are drawn when the rate allows
      return;
    }
    const { boundary, session, catalog } = state;
    if (!this.changed(layout, boundary, this.on, session.network.activations, catalog, session.id)) return;
    this.drawnAt = now;
    const r = layout.r;
    const mapsOn = drawsMaps(this.on, r) && !!boundary?.neurons;
    nodes.each(function (d) {
      const g = d3.select(this);
      const values = d.l === 0 ? boundary?.inputs?.[d.j] : boundary?.neurons?.[d.l - 1]?.[d.j];
      let fo = g.select("foreignObject.nmap-fo");
      if (!mapsOn || !values) {
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
      const s = neuronScale(state, d.l, d.j);
      paintHeatmap(fo.select("canvas").node(), boundary, values, (v) => v, s, `${boundary.step}:${d.id}:${s.lo}:${s.hi}:${s.zero}:${session.id}`);
    });
  }
}
