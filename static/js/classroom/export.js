// Export: the network view as SVG (styles inlined, heatmaps embedded) and PNG (the SVG
// drawn on a canvas); the last Backward or Step trace as JSON and CSV for homework; the
// session as JSON (GET /export), which the Import button sends back (POST /api/networks).

import { el, setDisabled, setText } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";
import { download, popover } from "./util.js";

// --- the network picture -----------------------------------------------------------------------

const STYLE_PROPS = [
  "fill", "fill-opacity", "stroke", "stroke-width", "stroke-opacity", "stroke-dasharray", "stroke-linecap",
  "stroke-linejoin", "opacity", "visibility", "font-family", "font-size", "font-weight", "font-style",
  "text-anchor", "dominant-baseline", "paint-order",
];
const SVG_NS = "http://www.w3.org/2000/svg";

/** Copy the computed style of every element of `src` onto the same element of its clone `dst`. */
function inlineStyles(src, dst) {
  const a = [src, ...src.querySelectorAll("*")];
  const b = [dst, ...dst.querySelectorAll("*")];
  a.forEach((node, i) => {
    const cs = getComputedStyle(node);
    const style = STYLE_PROPS.map((p) => `${p}:${cs.getPropertyValue(p)}`).join(";");
    b[i].setAttribute("style", style);
    b[i].removeAttribute("class");
  });
}

function svgEl(tag, attrs = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** The network view as a self-contained SVG document: {text, width, height}. */
function networkSvg() {
  const src = document.querySelector("#network svg.net:not(.net-edges)");
  const edgeSrc = document.querySelector("#network svg.net-edges");
  const stage = src.parentElement;
  stage.dispatchEvent(new Event("network:export")); // a canvas-drawn network: its SVG curves catch up
  const width = stage.clientWidth;
  const height = stage.clientHeight;
  const zoom = stage.getBoundingClientRect().width / width || 1; // presenter mode zooms the page
  const out = /** @type {SVGSVGElement} */ (src.cloneNode(true));
  inlineStyles(src, out);
  // the edges are drawn in an SVG of their own under the rest (views/network.js): put them first
  if (edgeSrc) {
    const edges = /** @type {SVGSVGElement} */ (edgeSrc.cloneNode(true));
    inlineStyles(edgeSrc, edges);
    // a large network draws its edges on a canvas and hides these curves: the picture shows them
    edges.querySelectorAll("[data-edge]").forEach((e) => e.setAttribute("style", e.getAttribute("style").replace("visibility:hidden", "visibility:visible")));
    out.prepend(...edges.childNodes);
  }
  // the neuron heatmaps are canvases in foreignObjects: embed them as images, clipped round
  const fos = [...src.querySelectorAll("foreignObject")];
  [...out.querySelectorAll("foreignObject")].forEach((fo, i) => {
    const canvas = fos[i].querySelector("canvas");
    const w = Number(fo.getAttribute("width"));
    const x = Number(fo.getAttribute("x"));
    const y = Number(fo.getAttribute("y"));
    const clip = `nmap-clip-${i}`;
    const g = svgEl("g");
    g.append(svgEl("clipPath", { id: clip }));
    g.firstChild.append(svgEl("circle", { cx: x + w / 2, cy: y + w / 2, r: w / 2 }));
    if (canvas?.width) {
      g.append(svgEl("image", { href: canvas.toDataURL("image/png"), x, y, width: w, height: w, preserveAspectRatio: "none", "clip-path": `url(#${clip})` }));
    }
    fo.replaceWith(g);
  });
  out.querySelectorAll(".edge-hits, .flows, [data-role=edge-hit]").forEach((n) => n.remove());
  out.querySelectorAll("g").forEach((g) => { if (g.getAttribute("style")?.includes("visibility:hidden")) g.remove(); });
  out.querySelectorAll("[tabindex], [role], [aria-label], [aria-pressed]").forEach((n) => {
    for (const a of ["tabindex", "role", "aria-label", "aria-pressed"]) n.removeAttribute(a);
  });

  const font = getComputedStyle(document.body).fontFamily;
  // the layer names above the columns (HTML in the page)
  const heads = svgEl("g", { style: `font-family:${font};font-size:12px;font-weight:700;fill:#1d2433;text-anchor:middle` });
  for (const head of /** @type {NodeListOf<HTMLElement>} */ (stage.querySelectorAll(".layer-head"))) {
    const title = head.querySelector(".lh-title");
    if (!title) continue;
    heads.append(svgEl("text", { x: parseFloat(head.style.left) || 0, y: 14 }, title.textContent.trim()));
  }
  out.prepend(heads);
  out.prepend(svgEl("rect", { x: 0, y: 0, width, height: height + 40, fill: "#ffffff" }));

  // the colour legends of the footer, in a row under the drawing
  const legends = svgEl("g", { transform: `translate(8, ${height + 8})`, style: `font-family:${font};font-size:11px;fill:#4a5468` });
  let x = 0;
  for (const box of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll("#network-footer .legend"))) {
    if (!box.offsetParent || getComputedStyle(box).visibility === "hidden") continue;
    const title = box.querySelector(".legend-title")?.textContent ?? "";
    const bar = box.querySelector("svg");
    legends.append(svgEl("text", { x, y: 10 }, title));
    x += (box.querySelector(".legend-title")?.getBoundingClientRect().width ?? 60) / zoom + 6;
    if (bar) {
      const copy = /** @type {SVGSVGElement} */ (bar.cloneNode(true));
      inlineStyles(bar, copy);
      const g = svgEl("g", { transform: `translate(${x}, 1)` });
      g.append(...copy.childNodes);
      legends.append(g);
      x += Number(bar.getAttribute("width") || 110) + 24;
    }
  }
  out.append(legends);

  out.setAttribute("role", "img");
  out.prepend(svgEl("title", {}, t("export.svgTitle", "Backprop Explorer: the network at step {step}", { step: document.querySelector("[data-metric=step]")?.textContent ?? "" })));
  out.setAttribute("xmlns", SVG_NS);
  out.setAttribute("width", String(width));
  out.setAttribute("height", String(height + 40));
  out.setAttribute("viewBox", `0 0 ${width} ${height + 40}`);
  out.removeAttribute("style");
  out.setAttribute("font-family", font);
  return { text: `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(out)}\n`, width, height: height + 40 };
}

/** The SVG drawn on a canvas at `scale` × its size, as a PNG Blob. */
async function networkPng(scale = 2) {
  const { text, width, height } = networkSvg();
  const url = URL.createObjectURL(new Blob([text], { type: "image/svg+xml" }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext("2d");
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error("PNG encoding failed"))), "image/png"));
  } finally {
    URL.revokeObjectURL(url);
  }
}

// --- a step's trace --------------------------------------------------------------------------------

const NOTATION = "Layers l = 0…L (0 = input). W^l is n_l × n_{l-1}: row j = neuron j of layer l, column k = neuron k of layer l−1. " +
  "z^l = W^l a^{l-1} + b^l, a^l = σ_l(z^l), a^0 = x. delta = δ^l_b = ∂C_b/∂z^l_b per sample b; " +
  "grad_weights = ∂C/∂W^l = (1/B) Σ_b δ^l_b (a^{l-1}_b)ᵀ, grad_biases = (1/B) Σ_b δ^l_b; C = (1/B) Σ_b C_b. " +
  "Per-layer lists hold l = 1…L.";

function rowsAt(rows, indices) {
  return indices.map((i) => rows?.[i] ?? null);
}

/**
 * The trace to export: the latest of the sample's Backward pass (state.backward) and the last
 * Step (state.lastStep), as a plain document, or null when neither belongs to the current weights.
 */
function traceDocument(state, latest) {
  const s = state.session;
  if (!s) return null;
  const b = state.backward;
  const backwardOk = b?.layers && b.step === s.step;
  const stepOk = state.lastStep?.before?.id === s.id && state.lastStep.answer?.trace?.layers;
  const kind = latest === "step" && stepOk ? "step" : backwardOk ? "backward" : stepOk ? "step" : null;
  if (!kind) return null;
  const before = kind === "step" ? state.lastStep.before : s;
  const r = kind === "step" ? state.lastStep.answer : b;
  const tr = kind === "step" ? r.trace : b;
  const split = kind === "step" ? "train" : b.sample?.split ?? "train";
  const indices = r.indices ?? (b?.sample ? [b.sample.index] : []);
  const d = before.dataset;
  const net = before.network;
  const doc = {
    format: "backprop-explorer trace 1",
    kind,
    session: before.id,
    step: kind === "step" ? before.step : b.step,
    notation: NOTATION,
    network: { layers: net.layers, activations: net.activations, loss: net.loss, bias: net.bias !== false, features: net.features ?? null, weights: net.weights, biases: net.biases ?? null },
    training: kind === "step" ? before.training : undefined,
    split,
    indices,
    x_raw: tr.x_raw ?? rowsAt(split === "test" ? d.test_x : d.x, indices),
    x: tr.x,
    y: rowsAt(split === "test" ? d.test_y : d.y, indices),
    loss: tr.loss,
    sample_losses: tr.sample_losses ?? null,
    layers: tr.layers.map((l, i) => ({ layer: i + 1, z: l.z, a: l.a, delta: l.delta, grad_weights: l.grad_weights, grad_biases: l.grad_biases ?? null })),
  };
  if (kind === "step") {
    doc.update = r.update ?? null;
    doc.after = { step: r.step, weights: r.network?.weights ?? null, biases: r.network?.biases ?? null, metrics: r.metrics ?? null };
  }
  return doc;
}

/** The trace as tidy CSV: one number per row, quantity,layer,b,j,k,value (b = position in the batch). */
export function traceCsv(doc) {
  const lines = ["quantity,layer,b,j,k,value"];
  const put = (q, l, b, j, k, v) => lines.push([q, l, b, j, k, v === null || v === undefined ? "" : String(v)].join(","));
  const matrix = (q, l, M) => M?.forEach((row, j) => row?.forEach((v, k) => put(q, l, "", j, k, v)));
  const vector = (q, l, V) => V?.forEach((v, j) => put(q, l, "", j, "", v));
  const batch = (q, l, M) => M?.forEach((row, b) => row?.forEach((v, j) => put(q, l, b, j, "", v)));
  doc.indices.forEach((index, b) => put("index", "", b, "", "", index));
  batch("x_raw", "", doc.x_raw);
  batch("x", 0, doc.x);
  batch("y", doc.network.layers.length - 1, doc.y);
  doc.network.weights.forEach((W, i) => matrix("weights", i + 1, W));
  doc.network.biases?.forEach((v, i) => vector("biases", i + 1, v));
  for (const l of doc.layers) {
    batch("z", l.layer, l.z);
    batch("a", l.layer, l.a);
    batch("delta", l.layer, l.delta);
  }
  doc.sample_losses?.forEach((v, b) => put("sample_loss", "", b, "", "", v));
  put("loss", "", "", "", "", doc.loss);
  for (const l of doc.layers) {
    matrix("grad_weights", l.layer, l.grad_weights);
    vector("grad_biases", l.layer, l.grad_biases);
  }
  doc.update?.weights?.forEach((W, i) => matrix("update_weights", i + 1, W));
  doc.update?.biases?.forEach((v, i) => vector("update_biases", i + 1, v));
  doc.after?.weights?.forEach((W, i) => matrix("weights_after", i + 1, W));
  doc.after?.biases?.forEach((v, i) => vector("biases_after", i + 1, v));
  return `${lines.join("\n")}\n`;
}

// --- the menu ----------------------------------------------------------------------------------------

export function mountExport(store, actions, container) {
  let latest = null; // which trace came last: "backward" | "step"
  store.on("backward", (b) => { if (b) latest = "backward"; render(); });
  store.on("lastStep", (s) => { if (s) latest = "step"; render(); });

  const button = el("button", { type: "button", class: "cl-btn", "data-control": "export", "i18n-title": ["export.title", "Download the picture, a step's numbers or the whole session"] },
    el("span", { class: "cl-icon", "aria-hidden": "true", text: "⤓" }), el("span", { i18n: ["export.button", "Export"] }));
  container.append(button);

  const item = (id, key, english, run) => {
    const b = el("button", { type: "button", class: "cl-menu-item", "data-export": id, i18n: [key, english] });
    b.addEventListener("click", async () => {
      try {
        await run();
      } catch (err) {
        store.emit("error", { title: t("export.failed", "Export"), message: err?.message || String(err) });
      }
    });
    return b;
  };
  const step = () => store.state.session?.step ?? 0;
  const svgBtn = item("svg", "export.svg", "Network picture (SVG)", () => download(`network-step-${step()}.svg`, networkSvg().text, "image/svg+xml"));
  const pngBtn = item("png", "export.png", "Network picture (PNG)", async () => download(`network-step-${step()}.png`, await networkPng()));
  const traceJson = item("trace-json", "export.traceJson", "Trace of the last step (JSON)", () => {
    const doc = traceDocument(store.state, latest);
    if (doc) download(`trace-${doc.kind}-step-${doc.step}.json`, `${JSON.stringify(doc, null, 1)}\n`, "application/json");
  });
  const traceCsvBtn = item("trace-csv", "export.traceCsv", "Trace of the last step (CSV)", () => {
    const doc = traceDocument(store.state, latest);
    if (doc) download(`trace-${doc.kind}-step-${doc.step}.csv`, traceCsv(doc), "text/csv");
  });
  const traceHint = el("p", { class: "hint cl-menu-hint", "data-role": "trace-hint" });
  const sessionBtn = item("session", "export.session", "Session (JSON, imports back)", async () => {
    const s = store.state.session;
    const doc = await actions.exportSession();
    if (doc) download(`session-${s.id.slice(0, 8)}-step-${s.step}.json`, JSON.stringify(doc), "application/json");
  });
  const file = el("input", { type: "file", accept: "application/json,.json", hidden: true, "data-control": "import-file" });
  const importBtn = item("import", "export.import", "Import a session file…", () => file.click());
  file.addEventListener("change", async () => {
    const f = file.files?.[0];
    file.value = "";
    if (!f) return;
    let doc;
    try {
      doc = JSON.parse(await f.text());
    } catch {
      store.emit("error", { title: t("export.import", "Import a session file…"), message: t("export.notJson", "{name} is not a JSON file.", { name: f.name }) });
      return;
    }
    panel.hidePopover();
    await actions.importSession(doc);
  });

  const panel = el("div", { class: "cl-panel cl-menu", "data-role": "export-menu", role: "dialog", "i18n-aria-label": ["export.button", "Export"] },
    el("h2", { class: "cl-panel-title", i18n: ["export.picture", "Picture"] }), svgBtn, pngBtn,
    el("h2", { class: "cl-panel-title", i18n: ["export.trace", "Every number of a step"] }), traceJson, traceCsvBtn, traceHint,
    el("h2", { class: "cl-panel-title", i18n: ["export.sessionTitle", "Session"] }), sessionBtn, importBtn, file);
  popover(button, panel, { onOpen: render });

  function render() {
    const doc = traceDocument(store.state, latest);
    setDisabled(traceJson, !doc);
    setDisabled(traceCsvBtn, !doc);
    setText(traceHint, doc
      ? (doc.kind === "step"
        ? t("export.traceStep", "From Step {step}: the minibatch of samples {indices}.", { step: doc.step + 1, indices: doc.indices.join(", ") })
        : t("export.traceBackward", "From Backward: {split} sample #{index} at step {step}.", { split: t(`split.${doc.split}`, doc.split), index: doc.indices[0], step: doc.step }))
      : t("export.noTrace", "Press Backward or Step first."));
    setDisabled(importBtn, !!store.state.following);
    setDisabled(sessionBtn, !store.state.session);
  }
  store.on(["session", "following"], render);
  onLanguageChange(render);
  render();
  return { panel };
}
