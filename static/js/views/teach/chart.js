// A small D3 line chart for the teaching panels: several series, optional log y,
// labels at the lines' ends, and an optional vertical marker (a step, a depth).

import { schedule } from "../../frame.js";

let chartCounter = 0;

const SUPERSCRIPT = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };

/** 10^e written with superscripts: 10⁻³, 1, 10, 10² … */
function powerOfTen(v) {
  const e = Math.round(Math.log10(v));
  if (e === 0) return "1";
  if (e === 1) return "10";
  return `10${String(e).split("").map((c) => SUPERSCRIPT[c]).join("")}`;
}

export function createLineChart(container, { height = 150, logY = true, xLabel = "", integerX = true, margin = {}, yFormat = null, yTickCount = 4 } = {}) {
  const M = { l: 46, r: 40, t: 8, b: 30, ...margin };
  const id = `teach-chart-${++chartCounter}`;
  const box = d3.select(container).append("div").attr("class", "teach-chart").style("height", `${height}px`);
  const svg = box.append("svg").attr("role", "img");
  const gx = svg.append("g").attr("class", "axis x");
  const gy = svg.append("g").attr("class", "axis y");
  const xTitle = svg.append("text").attr("class", "teach-axis-title");
  const marker = svg.append("line").attr("class", "teach-marker");
  const gLines = svg.append("g");
  const gEnds = svg.append("g");
  const empty = svg.append("text").attr("class", "teach-chart-empty");
  let data = { series: [], marker: null, emptyText: "" };
  let size = { w: 0, h: height };

  new ResizeObserver(() => {
    size = { w: box.node().clientWidth, h: box.node().clientHeight };
    request();
  }).observe(box.node());
  const request = () => schedule(id, render);

  function render() {
    if (size.w < 60) return;
    const { series } = data;
    const pts = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[1]) && (!logY || p[1] > 0));
    const xs = pts.map((p) => p[0]);
    const x0 = d3.min(xs) ?? 0;
    const x1 = Math.max(d3.max(xs) ?? 1, x0 + 1);
    const sx = d3.scaleLinear().domain([x0, x1]).range([M.l, size.w - M.r]);
    const ys = pts.map((p) => p[1]);
    let sy;
    if (logY) {
      const lo = d3.min(ys) ?? 1e-3;
      const hi = d3.max(ys) ?? 1;
      sy = d3.scaleLog().domain([lo, hi > lo ? hi : lo * 10]).range([size.h - M.b, M.t]).nice();
    } else {
      sy = d3.scaleLinear().domain(d3.extent(ys.length ? ys : [0, 1])).range([size.h - M.b, M.t]).nice();
    }
    const xTicks = sx.ticks(Math.max(2, Math.floor(size.w / 70))).filter((v) => !integerX || Number.isInteger(v));
    gx.attr("transform", `translate(0,${size.h - M.b})`)
      .call(d3.axisBottom(sx).tickValues(xTicks).tickSize(3).tickFormat(d3.format(x1 >= 10000 ? "~s" : "d")));
    const [ylo, yhi] = sy.domain();
    let yTicks;
    let yFmt = d3.format(yFormat ?? "~g");
    if (logY) {
      // powers of ten when the axis spans a decade or more, written 10⁻³
      const e0 = Math.ceil(Math.log10(ylo) - 1e-9), e1 = Math.floor(Math.log10(yhi) + 1e-9);
      if (e1 > e0) {
        const every = Math.ceil((e1 - e0 + 1) / 5);
        yTicks = d3.range(e0, e1 + 1).filter((e) => (e - e0) % every === 0).map((e) => 10 ** e);
        if (!yFormat) yFmt = powerOfTen;
      } else {
        yTicks = sy.ticks(3).slice(0, 4);
        if (!yFormat) yFmt = d3.format(".1~e");
      }
    } else {
      yTicks = sy.ticks(yTickCount);
    }
    gy.attr("transform", `translate(${M.l},0)`).call(d3.axisLeft(sy).tickValues(yTicks).tickSize(3).tickFormat(yFmt));
    xTitle.attr("x", (M.l + size.w - M.r) / 2).attr("y", size.h - 2).text(data.xLabel ?? xLabel);

    const line = d3.line().defined((p) => Number.isFinite(p[1]) && (!logY || p[1] > 0)).x((p) => sx(p[0])).y((p) => sy(p[1]));
    gLines.selectAll("path").data(series, (s) => s.id).join("path")
      .attr("class", (s) => `teach-line ${s.className ?? ""}`)
      .attr("data-series", (s) => s.id)
      .attr("fill", "none").attr("stroke", (s) => s.color).attr("stroke-width", (s) => s.width ?? 1.8)
      .attr("stroke-dasharray", (s) => s.dash ?? null)
      .attr("d", (s) => (s.points.length ? line(s.points) : null));
    // labels at the right end of each line, nudged apart so they do not overlap
    const ends = series.map((s) => {
      const last = [...s.points].reverse().find((p) => Number.isFinite(p[1]) && (!logY || p[1] > 0));
      return last && s.label ? { s, x: sx(last[0]), y: sy(last[1]) } : null;
    }).filter(Boolean).sort((a, b) => a.y - b.y);
    for (let i = 1; i < ends.length; i++) if (ends[i].y - ends[i - 1].y < 11) ends[i].y = ends[i - 1].y + 11;
    gEnds.selectAll("text").data(ends, (d) => d.s.id).join("text")
      .attr("class", "teach-end-label").attr("x", (d) => d.x + 4).attr("y", (d) => d.y + 3.5)
      .attr("fill", (d) => d.s.color).text((d) => d.s.label);
    const m = data.marker;
    marker.attr("visibility", Number.isFinite(m) ? "visible" : "hidden")
      .attr("x1", Number.isFinite(m) ? sx(m) : 0).attr("x2", Number.isFinite(m) ? sx(m) : 0)
      .attr("y1", M.t).attr("y2", size.h - M.b);
    empty.attr("x", (M.l + size.w - M.r) / 2).attr("y", size.h / 2)
      .attr("visibility", pts.length ? "hidden" : "visible").text(data.emptyText);
  }

  return {
    node: box.node(),
    /** series: [{id, label, color, dash?, width?, points: [[x, y], …]}]; marker: x or null. */
    update(next) {
      data = { ...data, ...next };
      request();
    },
  };
}
