// Play mode over a WebSocket (/api/networks/{id}/stream; docs/api.md, "Stream").
//
// The server trains in chunks and sends one frame per chunk, at most `window`
// (3) frames ahead of what this client has acknowledged. This module hands the
// frames to `onFrame` one per animation frame, oldest first, and acknowledges each
// one after the callback returns, so the server trains exactly as fast as the page
// shows it (and stops when the tab is hidden, since requestAnimationFrame stops).
//
//   const stream = new TrainingStream(sessionId, {
//     onFrame(frame) { ... frame.step, frame.metrics, frame.weights[l][j][k], frame.boundary ... },
//     onPaused({ step, reason, message }) { ... },
//     onError(detail) { ... },            // a control message was refused; the stream goes on
//     onFailure({ code, reason }) { ... }, // the socket failed or closed: fall back to REST
//                                          // (code 4404: the session itself is gone)
//   });
//   await stream.open();                  // rejects (and calls onFailure) if it cannot connect
//   stream.play({ boundary: { per_second: 12, resolution: 40, neurons: true } });  // full speed
//   stream.speed({ stepsPerFrame: 10 });  // or { stepsPerSecond: 300 }, or {} for full speed
//   stream.pause();
//   stream.close();
//
// A frame: { seq, step, steps, trainMs, diverged, message, metrics, params (Float64Array,
// the flat parameter vector), weights (per layer l = 1…L, rows W^l[j] as Float64Array),
// biases (per layer, Float64Array; null without biases), boundary (null, or { dims,
// resolution, domain, output: Float32Array, inputs: [per input], neurons: [per layer
// [per neuron Float32Array]] } — the /boundary answer's shape with typed arrays) }.

/**
 * @typedef {{dims: number, resolution: number, domain: number[][], output: Float32Array | number[],
 *            inputs?: (Float32Array | number[])[], neurons?: (Float32Array | number[])[][],
 *            plane?: number[], held?: number[]}} FrameBoundary
 * @typedef {{seq: number, step: number, steps: number, trainMs: number, diverged: boolean,
 *            message?: string, metrics: Record<string, any>, params: Float64Array | null,
 *            weights: (Float64Array | number[])[][], biases: (Float64Array | number[])[] | null,
 *            boundary: FrameBoundary | null}} Frame
 * @typedef {[number, number, number, number | null][]} ParamLayout
 *   the hello's `layout`: per layer l, [offset of W^l, n_l, n_{l−1}, offset of b^l or null]
 * @typedef {{stepsPerFrame?: number, stepsPerSecond?: number,
 *            boundary?: {per_second?: number, every?: number, resolution?: number, neurons?: boolean,
 *                        plane?: number[]} | null,
 *            format?: string}} Settings
 */

const CONNECT_TIMEOUT_MS = 5000;
const NORMAL_CLOSE = 1000;

/** @param {number} n */
function align8(n) {
  return (n + 7) & ~7;
}

/** @param {string} sessionId */
function streamUrl(sessionId) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/networks/${encodeURIComponent(sessionId)}/stream`;
}

/**
 * Rows of a row-major block as subarray views: block[j] is row j.
 * @template {Float64Array | Float32Array} A
 * @param {A} flat
 * @param {number} start
 * @param {number} nRows
 * @param {number} nCols
 * @returns {A[]}
 */
function rows(flat, start, nRows, nCols) {
  const out = new Array(nRows);
  for (let j = 0; j < nRows; j++) out[j] = /** @type {A} */ (flat.subarray(start + j * nCols, start + (j + 1) * nCols));
  return out;
}

/**
 * Decode a binary frame (uint32 header length, JSON header, padding, float64 params, float32 grids).
 * @param {ArrayBuffer} buffer
 * @param {ParamLayout} layout
 * @returns {Frame}
 */
export function decodeFrame(buffer, layout) {
  const view = new DataView(buffer);
  const length = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 4, length)));
  const base = align8(4 + length);
  /** @param {[number, number]} span */
  const f64 = ([offset, count]) => new Float64Array(buffer, base + offset, count);
  /** @param {[number, number]} span */
  const f32 = ([offset, count]) => new Float32Array(buffer, base + offset, count);
  const params = f64(header.params);
  const weights = [];
  const biases = [];
  for (const [w, nOut, nIn, b] of layout) {
    weights.push(rows(params, w, nOut, nIn));
    if (b !== null) biases.push(params.subarray(b, b + nOut));
  }
  let boundary = null;
  if (header.boundary) {
    const d = header.boundary;
    const cells = d.dims === 2 ? d.resolution * d.resolution : d.resolution;
    /** @type {FrameBoundary} */
    const grids = { dims: d.dims, resolution: d.resolution, domain: d.domain, output: f32(d.output) };
    if (d.plane) Object.assign(grids, { plane: d.plane, held: d.held }); // more than 2 inputs
    if (d.neurons) {
      /** @param {[number, number]} span */
      const block = (span) => {
        const flat = f32(span);
        return rows(flat, 0, flat.length / cells, cells);
      };
      grids.inputs = block(d.inputs);
      grids.neurons = d.neurons.map(block);
    }
    boundary = grids;
  }
  return {
    seq: header.seq,
    step: header.step,
    steps: header.steps,
    trainMs: header.train_ms,
    diverged: header.diverged,
    message: header.message,
    metrics: header.metrics,
    params,
    weights,
    biases: layout.length && layout[0][3] === null ? null : biases,
    boundary,
  };
}

/**
 * A JSON frame (format "json") in the binary frame's shape.
 * @param {Record<string, any>} message
 * @returns {Frame}
 */
function fromJson(message) {
  return {
    seq: message.seq,
    step: message.step,
    steps: message.steps,
    trainMs: message.train_ms,
    diverged: message.diverged,
    message: message.message,
    metrics: message.metrics,
    params: null,
    weights: message.weights,
    biases: message.biases,
    boundary: message.boundary,
  };
}

/**
 * Speed and boundary options in the protocol's names.
 * @param {Settings} [options]
 */
function settings({ stepsPerFrame, stepsPerSecond, boundary, format } = {}) {
  /** @type {Record<string, unknown>} */
  const out = {};
  if (stepsPerFrame != null) out.steps_per_frame = stepsPerFrame;
  if (stepsPerSecond != null) out.steps_per_second = stepsPerSecond;
  if (boundary !== undefined) out.boundary = boundary;
  if (format !== undefined) out.format = format;
  return out;
}

export class TrainingStream {
  /**
   * @param {string} sessionId
   * @param {{onFrame?: (frame: Frame) => void, onHello?: (hello: any) => void,
   *          onPaused?: (msg: {step: number, reason?: string, message?: string}) => void,
   *          onError?: (detail: any, msg: any) => void,
   *          onFailure?: (failure: {code: number, reason: string}) => void}} [handlers]
   * @param {{url?: string, pace?: "animation-frame" | "immediate"}} [options]  url (default: this
   *   page's host), pace: "animation-frame" (default: one frame per requestAnimationFrame, acked
   *   after onFrame) or "immediate" (each frame handed over and acked as soon as it arrives)
   */
  constructor(sessionId, handlers = {}, options = {}) {
    this.sessionId = sessionId;
    this.handlers = handlers;
    this.url = options.url ?? streamUrl(sessionId);
    this.pace = options.pace ?? "animation-frame";
    /** @type {WebSocket | null} */
    this.ws = null;
    /** @type {any} the server's hello: {layout, …} */
    this.hello = null;
    this.playing = false;
    this.closedByUs = false;
    this.failed = false;
    /** @type {Frame[]} */
    this.queue = [];
    this.rafPending = false;
  }

  /**
   * Connect; resolves with the server's hello, rejects (after onFailure) if that fails.
   * @returns {Promise<any>}
   */
  open() {
    return new Promise((resolve, reject) => {
      let settled = false;
      /**
       * @param {number} code
       * @param {string} reason
       */
      const fail = (code, reason) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          reject(new Error(reason));
        }
        this.#fail(code, reason);
      };
      const timer = setTimeout(() => {
        fail(0, "the stream did not answer in time");
        this.ws?.close();
      }, CONNECT_TIMEOUT_MS);
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (err) {
        fail(0, `cannot open the stream: ${err instanceof Error ? err.message : err}`);
        return;
      }
      ws.binaryType = "arraybuffer";
      this.ws = ws;
      ws.onmessage = (event) => {
        if (typeof event.data !== "string") {
          this.#enqueue(decodeFrame(event.data, this.hello.layout));
          return;
        }
        const msg = JSON.parse(event.data);
        if (msg.type === "hello") {
          this.hello = msg;
          settled = true;
          clearTimeout(timer);
          this.handlers.onHello?.(msg);
          resolve(msg);
        } else if (msg.type === "frame") {
          this.#enqueue(fromJson(msg));
        } else if (msg.type === "paused") {
          this.playing = false;
          this.handlers.onPaused?.(msg);
        } else if (msg.type === "error") {
          this.handlers.onError?.(msg.detail, msg);
        }
      };
      ws.onclose = (event) => {
        this.playing = false;
        if (this.closedByUs && event.code === NORMAL_CLOSE) return;
        const reason = event.reason || `the stream closed (code ${event.code})`;
        fail(event.code, reason);
      };
      ws.onerror = () => {}; // onclose follows with the code
    });
  }

  /** Start (or keep) playing. Without a speed, the server trains at full speed. */
  play(options = {}) {
    this.playing = true;
    this.#send({ type: "play", ...settings(options) });
  }

  /** Change speed or boundary settings; playing or paused stays as it is. */
  speed(options = {}) {
    this.#send({ type: "speed", ...settings(options) });
  }

  /** Stop training; frames already under way still arrive, then onPaused({ step }). */
  pause() {
    this.playing = false;
    this.#send({ type: "pause" });
  }

  close() {
    this.closedByUs = true;
    this.playing = false;
    this.queue = [];
    this.ws?.close(NORMAL_CLOSE);
  }

  get connected() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN && !this.failed;
  }

  /** @param {Record<string, unknown>} message */
  #send(message) {
    if (!this.ws || !this.connected) {
      this.#fail(0, "the stream is not connected");
      return;
    }
    this.ws.send(JSON.stringify(message));
  }

  /** @param {Frame} frame */
  #enqueue(frame) {
    if (this.pace === "immediate") {
      this.#deliver(frame);
      return;
    }
    this.queue.push(frame);
    if (!this.rafPending) {
      this.rafPending = true;
      requestAnimationFrame(() => this.#tick());
    }
  }

  #tick() {
    this.rafPending = false;
    const frame = this.queue.shift();
    if (frame) this.#deliver(frame);
    if (this.queue.length) {
      this.rafPending = true;
      requestAnimationFrame(() => this.#tick());
    }
  }

  /** @param {Frame} frame */
  #deliver(frame) {
    try {
      this.handlers.onFrame?.(frame);
    } finally {
      // acknowledged once shown: the server may now train and send the next one
      if (this.ws && this.connected) this.ws.send(JSON.stringify({ type: "ack", seq: frame.seq }));
    }
  }

  /**
   * @param {number} code
   * @param {string} reason
   */
  #fail(code, reason) {
    if (this.failed || this.closedByUs) return;
    this.failed = true;
    this.playing = false;
    this.queue = [];
    this.handlers.onFailure?.({ code, reason });
  }
}
