// Play mode: a requestAnimationFrame loop. Views redraw once per frame (frame.js);
// this loop only decides when to send the next training request: never while one
// is still in flight, and each request carries as many steps as the speed control says.

import { SPEEDS } from "./actions/play.js";

/**
 * @param {import("./store.js").Store} store
 * @param {import("./actions/index.js").Actions} actions
 * @param {{streaming?: () => boolean}} [options]  true while play-stream.js drives Play
 */
export function startPlayLoop(store, actions, { streaming = () => false } = {}) {
  let inFlight = false;
  let lastSent = 0;
  let rate = { t0: 0, step0: 0 };

  function tick(now) {
    const { playing, speed, session } = store.state;
    if (playing && !inFlight && session && !streaming()) { // play-stream.js drives Play over the socket
      const { interval } = SPEEDS[speed] ?? SPEEDS[1];
      if (now - lastSent >= interval) {
        inFlight = true;
        lastSent = now;
        actions.playTick().finally(() => {
          inFlight = false;
        });
      }
    }
    // measured training speed, shown next to the speed control
    if (playing && session) {
      if (!rate.t0) rate = { t0: now, step0: session.step };
      if (now - rate.t0 > 1000) {
        store.emit("rate", ((session.step - rate.step0) * 1000) / (now - rate.t0));
        rate = { t0: now, step0: session.step };
      }
    } else if (rate.t0) {
      rate = { t0: 0, step0: 0 };
      store.emit("rate", null);
    }
    requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
}
