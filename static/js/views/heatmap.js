// Paint a boundary grid (row-major, top row first) into a canvas with the
// page's diverging scale. Used by the output plot and the neuron thumbnails.

import { LUT, ZERO_ACTIVATION_RGB } from "../colors.js";

/**
 * values: flat array (res × res for 2-D, res for 1-D); the colour's neutral sits
 * at `mid`, the ends at `lo` and `hi`. `key` skips repainting identical data.
 */
export function paintHeatmap(canvas, boundary, values, map, { lo, mid, hi, zero = false }, key) {
  if (key !== undefined && canvas.dataset.key === key) return;
  const res = boundary.resolution;
  const rows = boundary.dims === 1 ? 1 : res;
  const cols = boundary.dims === 1 ? values.length : res;
  if (canvas.width !== cols) canvas.width = cols;
  if (canvas.height !== rows) canvas.height = rows;
  const ctx = canvas.getContext("2d");
  const img = ctx.createImageData(cols, rows);
  const px = img.data;
  const up = hi - mid || 1;
  const down = mid - lo || 1;
  for (let i = 0; i < cols * rows; i++) {
    const v = map(values[i]);
    if (zero && v === 0) { // a ReLU that is off: its own dark colour (colors.js)
      px[i * 4] = ZERO_ACTIVATION_RGB[0];
      px[i * 4 + 1] = ZERO_ACTIVATION_RGB[1];
      px[i * 4 + 2] = ZERO_ACTIVATION_RGB[2];
      px[i * 4 + 3] = 255;
      continue;
    }
    let t = v >= mid ? 0.5 + (0.5 * (v - mid)) / up : 0.5 - (0.5 * (mid - v)) / down;
    t = Number.isFinite(t) ? Math.max(0, Math.min(1, t)) : 0.5;
    const c = Math.round(t * 255) * 3;
    px[i * 4] = LUT[c];
    px[i * 4 + 1] = LUT[c + 1];
    px[i * 4 + 2] = LUT[c + 2];
    px[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  if (key !== undefined) canvas.dataset.key = key;
}
