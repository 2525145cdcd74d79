// Play mode over the WebSocket (stream.js; docs/api.md, "Stream"). When Play starts, this
// opens a TrainingStream for the session and hands each frame to actions.applyFrame, which
// applies it as a REST step's answer would be. Pause, Reset, any edit, another session or
// leaving the page close the stream; the page then reloads the session and its /metrics.
// If the socket cannot be used (onFailure), play.js's REST loop takes over — except for
// close code 4404 (the session is gone), which goes to the page's usual 404 handling.
// Follow mode (?follow=) keeps its polling path and never opens a stream.

import { SPEEDS } from "./actions/play.js";
import { TrainingStream } from "./stream.js";
import { planeOf } from "./own-data.js";

const SESSION_GONE = 4404;
const PAUSE_WAIT_MS = 1500;
// grids by the clock: every-6th-frame falls below 10 a second whenever the display does below 60 Hz
const BOUNDARY = { per_second: 12, resolution: 40 };

/** The speed control in the protocol's terms: the top speed is full speed. */
function streamSpeed(index) {
  const speed = SPEEDS[index] ?? SPEEDS[1];
  if (index === SPEEDS.length - 1) return {};
  if (speed.interval > 0) return { stepsPerSecond: (1000 * speed.steps) / speed.interval };
  return { stepsPerFrame: speed.steps };
}

export function startPlayStream(store, actions) {
  let stream = null; // the open (or opening) TrainingStream
  let streamSession = null;
  let usable = typeof WebSocket === "function"; // false after a failure: REST for the rest of the page

  const st = () => store.state;

  function playOptions() {
    const dims = st().session?.dataset?.input_dim;
    // every neuron's grid only while the network view draws their maps (a frame of 6×16's is 650 kB)
    const boundary = dims ? { ...BOUNDARY, neurons: st().neuronMaps, plane: planeOf(st()) } : null;
    return { ...streamSpeed(st().speed), boundary };
  }

  function fallBack(current) {
    if (stream === current) stream = null;
    usable = false;
  }

  async function start() {
    const s = st().session;
    const id = s.id;
    const current = new TrainingStream(id, {
      onFrame: (frame) => actions.applyFrame(frame, id),
      onPaused: (msg) => {
        if (msg.reason === "diverged" && stream === current && st().playing) actions.streamDiverged(msg.message);
      },
      onError: () => {
        // a refused play/speed message: let the REST loop carry on
        current.close();
        fallBack(current);
      },
      onFailure: ({ code, reason }) => {
        if (stream !== current) return;
        stream = null;
        if (code === SESSION_GONE) {
          actions.streamSessionGone(reason);
          return;
        }
        usable = false; // play.js's REST loop takes over while Play stays on
      },
    });
    stream = current;
    streamSession = id;
    try {
      await current.open();
    } catch {
      return; // onFailure has run
    }
    if (stream !== current) return; // stopped while connecting
    if (!st().playing || st().session?.id !== id) {
      stop();
      return;
    }
    current.play(playOptions());
  }

  /** Pause (waiting for the last frame to be saved), close, then reload from the API. */
  function stop() {
    const current = stream;
    const id = streamSession;
    stream = null;
    if (!current) return;
    actions.run(async () => {
      if (current.connected) {
        await new Promise((resolve) => {
          const timer = setTimeout(resolve, PAUSE_WAIT_MS);
          const prev = current.handlers.onPaused;
          current.handlers.onPaused = (msg) => {
            clearTimeout(timer);
            prev?.(msg);
            resolve();
          };
          current.pause();
        });
      }
      current.close();
    });
    actions.resyncAfterStream(id);
  }

  store.on("playing", (playing) => {
    if (playing && usable && !stream && !st().following && st().session) start();
    else if (!playing) stop();
  });
  store.on("session", (s) => {
    if (stream && s?.id !== streamSession) stop();
  });
  store.on(["speed", "neuronMaps", "plane"], () => {
    if (stream?.connected && stream.playing) stream.play(playOptions());
  });
  window.addEventListener("pagehide", () => {
    stream?.close();
    stream = null;
  });

  return {
    /** True while the stream drives Play (or is connecting): the REST loop stays idle. */
    active: () => stream !== null,
  };
}
