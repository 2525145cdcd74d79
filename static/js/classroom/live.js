// A live class (docs/api.md, "Classes"): the teacher's page publishes what it shows over a
// WebSocket; students who open the join link (?class=<id>) follow it, whatever session the
// teacher is on. The server keeps the latest message of each kind, so a student who joins
// or reconnects catches up at once.
//
//   teacher: Share → "Open a class": join link, QR code, students connected; the page's URL
//            gets ?teach=<id> (the token stays in this tab's sessionStorage)
//   student: ?class=<id>: read-only (follow.js), "Try it myself" (an own copy at the current
//            state, ?back=<id>), and on that copy "Back to the class"

import { el } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";
import { queryParams, setQueryParams } from "./util.js";
import { setupLink } from "./share.js";
import { recordsAfter, steppedFrom } from "../patches.js";
import "../i18n/zh-live.js";

const FRAME_MS = 100; // Play frames published at most this often (10 a second)
// ... and with the boundary grids at most this often: with neuron maps they are ~250 kB of
// a frame's text, sent to every student (the weights are ~1 kB)
const GRIDS_MS = 500;
const RETRY_MS = [250, 500, 1000, 2000, 4000];
const ID = /^[A-Za-z0-9_-]{1,64}$/;

/** @param {string} name */
function idParam(name) {
  const id = queryParams().get(name);
  return id && ID.test(id) ? id : null;
}
export const classInUrl = () => idParam("class");
export const teachInUrl = () => idParam("teach");
export const backInUrl = () => idParam("back");

/**
 * Show t(key, english, params) in `node`, again after every language switch.
 * @param {HTMLElement} node
 * @param {string} key
 * @param {string} english
 * @param {Record<string, any>} [params]
 */
function say(node, key, english, params) {
  const show = () => { node.textContent = t(key, english, params); };
  // one listener per node: the latest text wins
  const n = /** @type {any} */ (node);
  n.liveText = show;
  if (!n.liveListening) {
    n.liveListening = true;
    onLanguageChange(() => n.liveText());
  }
  show();
}

/** @param {string} classId */
export function joinUrl(classId) {
  return `${location.origin}${location.pathname}?class=${encodeURIComponent(classId)}`;
}

/** The class's WebSocket, reconnected after a drop (not after a refusal: 44xx). */
export class ClassChannel {
  /**
   * @param {string} classId
   * @param {{role: "teacher" | "student", token?: string}} join
   * @param {(msg: any) => void} onMessage
   * @param {(status: "live" | "reconnecting" | "ended", reason?: string) => void} onStatus
   */
  constructor(classId, join, onMessage, onStatus) {
    this.url = `${location.protocol === "https:" ? "wss:" : "ws:"}//${location.host}/api/classes/${encodeURIComponent(classId)}/live`;
    this.join = join;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.tries = 0;
    this.closed = false;
    /** @type {WebSocket | null} */
    this.ws = null;
    this.open();
  }

  open() {
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: "join", ...this.join }));
    ws.onmessage = (event) => {
      const msg = JSON.parse(event.data);
      if (msg.type === "hello") {
        this.tries = 0;
        this.onStatus("live");
      }
      this.onMessage(msg);
    };
    ws.onclose = (event) => {
      if (this.closed) return;
      if (event.code >= 4400 && event.code < 4500) {
        this.onStatus("ended", event.reason);
        return;
      }
      this.onStatus("reconnecting");
      setTimeout(() => this.open(), RETRY_MS[Math.min(this.tries++, RETRY_MS.length - 1)]);
    };
  }

  /** @param {object} message */
  send(message) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  close() {
    this.closed = true;
    this.ws?.close();
  }
}

/** What the page shows besides the weights (ViewState in app/api/class_messages.py). */
function viewOf(state, presenter) {
  const stage = document.getElementById("network");
  const phase = stage?.dataset.phase ?? "idle";
  const layer = stage?.dataset.phaseLayer;
  // the sample's pass with the teacher's values (the backward one while it is animated or
  // the edges show ∂C/∂W): followers show it, and animate it, without a read of their own
  const backward = state.backward?.layers && (phase === "backward" || (phase !== "forward" && state.edgeMode === "grad"));
  const pass = backward ? { kind: "backward", ...state.backward } : state.forward?.layers ? { kind: "forward", ...state.forward } : null;
  return {
    selection: state.selection,
    edge_mode: state.edgeMode,
    sample: state.sample,
    tab: document.querySelector("[data-teach-open]")?.getAttribute("data-teach-open") ?? null,
    phase,
    phase_layer: layer ? Number(layer) : null,
    pass: pass ? rounded((({ animate: _a, seq: _s, ...rest }) => rest)(pass)) : null,
    playing: state.playing,
    presenter: { on: presenter.on, hide: presenter.hidden },
    sent_at: Date.now(),
  };
}

const MAX_FRAME_CHARS = 900_000;
const MAX_RECORDS = 500; // metrics rows a settled frame carries (the server takes 1000)
/**
 * Numbers in `value` rounded to 4 decimals: the grids and passes are drawn, not computed
 * with, and a rounded frame is about a third of the text.
 * @param {any} value
 * @returns {any}
 */
export function rounded(value) {
  if (typeof value === "number") return Math.round(value * 1e4) / 1e4;
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === "object") {
    /** @type {Record<string, any>} */
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = rounded(v);
    return out;
  }
  return value;
}

/**
 * A Play frame with what the teacher's page has already read for it: the sample's forward
 * (or, with the edges on ∂C/∂W, backward) pass and the boundary grids. Followers draw these
 * as they come, so a frame costs the server one read however many students follow. Too big
 * for one message (the widest networks' neuron maps), the maps go first, then the grids.
 * @param {Record<string, any>} frame
 * @param {any} state
 * @param {boolean} [grids]  with the grids (the bulk of a frame: see GRIDS_MS)
 */
export function withViews(frame, state, grids = true) {
  const strip = ({ animate: _a, seq: _s, ...pass }) => rounded(pass);
  const out = { ...frame };
  if (state.forward?.layers) out.forward = strip(state.forward);
  if (state.edgeMode === "grad" && state.backward?.layers) out.backward = strip(state.backward);
  if (state.boundary && grids) out.boundary = rounded(state.boundary);
  if (out.boundary?.neurons && JSON.stringify(out).length > MAX_FRAME_CHARS) {
    const { neurons: _n, inputs: _i, ...output } = out.boundary;
    out.boundary = output;
  }
  if (JSON.stringify(out).length > MAX_FRAME_CHARS) delete out.boundary;
  return out;
}

/**
 * The teacher's side: "Open a class" in the share panel, then everything the page shows is
 * published as it changes (frames throttled to FRAME_MS).
 */
export function mountTeacher(store, { bar, share, presenter }) {
  const students = el("span", { class: "live-students", "data-metric": "students", hidden: true, "i18n-title": ["live.studentsTitle", "Students connected to your class"] });
  bar.append(students);
  const openButton = el("button", { type: "button", class: "btn btn-small", "data-control": "open-class", i18n: ["live.open", "Open a class"] });
  const qrButton = el("button", { type: "button", class: "btn btn-small", "data-control": "show-qr", hidden: true, i18n: ["live.showQr", "Show QR code"] });
  const status = el("span", { class: "hint cl-status", "data-role": "class-status", role: "status" });
  share.panel.append(
    el("h2", { class: "cl-panel-title", i18n: ["live.title", "Live class"] }),
    el("p", { class: "hint", i18n: ["live.text", "Students who open the join link (or scan the QR code) follow what you show, live, through every change: new networks, datasets and presets included."] }),
    el("div", { class: "cl-row" }, openButton, qrButton, status));
  const qr = el("div", { class: "live-qr", "data-role": "class-qr", role: "dialog", popover: "auto", "i18n-aria-label": ["live.qrTitle", "Join the class"] });
  document.body.append(qr);
  qrButton.addEventListener("click", () => {
    share.panel.hidePopover();
    drawQr(qr, joinUrl(classId ?? ""));
    qr.showPopover();
  });

  /** @type {string | null} */
  let classId = null;
  /** @type {ClassChannel | null} */
  let channel = null;

  async function openClass() {
    const res = await fetch("/api/classes", {
      method: "POST", headers: { "content-type": "application/json" },
      body: JSON.stringify({ session: store.state.session?.id }),
    });
    if (!res.ok) {
      say(status, "live.failed", "Could not open a class.");
      return;
    }
    const c = await res.json();
    sessionStorage.setItem(`bpe-class:${c.id}`, c.token);
    setQueryParams({ teach: c.id });
    connect(c.id, c.token);
  }

  /**
   * @param {string} id
   * @param {string} token
   */
  function connect(id, token) {
    classId = id;
    share.setJoin(joinUrl(id));
    openButton.hidden = true;
    qrButton.hidden = false;
    students.hidden = false;
    say(students, "live.students", "{n} students", { n: 0 });
    channel = new ClassChannel(id, { role: "teacher", token }, (msg) => {
      if (msg.type === "hello") {
        publishAll();
      }
      if (msg.type === "hello" || msg.type === "students") {
        const n = msg.type === "hello" ? msg.students : msg.count;
        students.dataset.count = String(n);
        say(students, "live.students", "{n} students", { n });
      }
    }, (s, reason) => {
      if (s === "live") say(status, "live.live", "Class open.");
      else if (s === "ended") say(status, "live.ended", "The class ended: {reason}", { reason: reason ?? "" });
      else say(status, "live.reconnecting", "Reconnecting…");
    });
  }

  // --- publishing --------------------------------------------------------------------------------
  const publish = (kind, data) => channel?.send({ type: "publish", kind, data });
  const sessionOf = (s) => ({ id: s.id, step: s.step, updated_at: s.updated_at ?? null, sent_at: Date.now() });
  let frameTimer = 0;
  let gridsAt = -Infinity;
  let sentGrids = null;
  /** @type {string | null} the session followers were last sent (a Play frame needs it) */
  let shownId = null;
  /** @type {any} the teacher's session as followers last got it (a message or a frame) */
  let sent = null;
  let lastFrameAt = 0;
  /** @param {Record<string, any>} [extra]  more of the frame (a settled frame's records) */
  function frameOf(s, extra = {}) {
    return { session: s.id, step: s.step, weights: s.network.weights, biases: s.network.biases ?? null, metrics: s.metrics ?? null, ...extra, sent_at: Date.now() };
  }
  function publishFrame() {
    frameTimer = 0;
    lastFrameAt = performance.now();
    const state = store.state;
    const s = state.session;
    const grids = state.boundary !== sentGrids && lastFrameAt - gridsAt >= GRIDS_MS;
    publish("frame", withViews(frameOf(s), state, grids));
    sent = s;
    if (grids) {
      sentGrids = state.boundary;
      gridsAt = lastFrameAt;
    }
  }
  /** Followers get the teacher's session itself: each loads it (one set of reads each). */
  function publishSession(s) {
    shownId = s.id;
    sent = s;
    publish("session", sessionOf(s));
  }

  // A Step, a pause, an edited weight: once the teacher's page has read what it shows (the
  // queue is idle), one "settled" frame carries it all (weights, metrics rows, the sample's
  // pass, the grids) and the followers read nothing, however many there are.
  let settling = false;
  function settle() {
    settling = true;
    queueMicrotask(settled);
  }
  function settled() {
    const state = store.state;
    if (!settling || state.busy || state.playing) return; // "busy" or "playing" calls again
    settling = false;
    const s = state.session;
    if (!channel || !s || s.id !== shownId) return;
    if (!steppedFrom(sent, s)) {
      publishSession(s);
      return;
    }
    const last = sent.step;
    const records = s.step > last ? recordsAfter(state.history, last, MAX_RECORDS) : [];
    publish("frame", withViews(frameOf(s, { updated_at: s.updated_at ?? null, dead: s.dead ?? null, records, settled: true }), state));
    sentGrids = state.boundary;
    // the class keeps this session as its latest (a reconnecting student loads it); those
    // that have the frame find nothing new in it
    publishSession(s);
  }
  store.on("busy", () => { if (settling) settled(); });

  store.on("session", () => {
    const s = store.state.session;
    if (!channel || !s) return;
    if (store.state.playing && s.id === shownId) {
      // Play: at most one frame per FRAME_MS, the latest one
      if (!frameTimer) frameTimer = window.setTimeout(publishFrame, Math.max(0, FRAME_MS - (performance.now() - lastFrameAt)));
      return;
    }
    if (s.id === shownId && steppedFrom(sent, s)) settle();
    else publishSession(s);
  });
  store.on("playing", () => {
    if (!store.state.playing && store.state.session) settle();
    publishView();
  });
  let viewQueued = false;
  function publishView() {
    if (viewQueued) return;
    viewQueued = true;
    queueMicrotask(() => {
      viewQueued = false;
      publish("view", viewOf(store.state, presenter));
    });
  }
  function publishAll() {
    if (store.state.session) publishSession(store.state.session);
    publishView();
  }
  store.on(["selection", "edgeMode", "sample"], publishView);
  // the sample's pass changed (not while playing: the frames carry it then)
  store.on(["forward", "backward"], () => { if (!store.state.playing) publishView(); });
  store.on("presenter", publishView);
  const watch = new MutationObserver(publishView);
  const network = document.getElementById("network");
  if (network) watch.observe(network, { attributes: true, attributeFilter: ["data-phase", "data-phase-layer"] });
  const side = document.getElementById("panel-side");
  if (side) watch.observe(side, { attributes: true, subtree: true, attributeFilter: ["data-teach-open"] });

  openButton.addEventListener("click", openClass);
  const again = teachInUrl();
  const token = again && sessionStorage.getItem(`bpe-class:${again}`);
  return {
    /** After the first session is shown: a reloaded teacher page reopens its class. */
    ready() {
      if (again && token) connect(again, token);
    },
  };
}

/** The QR code of `url`, as large as the screen allows. */
function drawQr(box, url) {
  const make = /** @type {any} */ (window).qrcode;
  const code = make(0, "M");
  code.addData(url);
  code.make();
  const picture = el("div", { class: "live-qr-code" });
  picture.innerHTML = code.createSvgTag({ cellSize: 8, margin: 4, scalable: true }); // the library's own SVG markup
  box.replaceChildren(picture, el("p", { class: "live-qr-url", text: url }));
}

/**
 * A student's side: follows the class (the page is read-only, see follow.js); answers the
 * session to load first (or null when the class has shown none yet).
 */
export function mountStudent(store, actions, { bar, presenter, classId }) {
  const status = el("span", { class: "live-status", "data-role": "class-status", role: "status" });
  const tryButton = el("button", { type: "button", class: "btn btn-small", "data-follow-ok": "", "data-control": "try-myself", i18n: ["live.try", "Try it myself"], "i18n-title": ["live.tryTitle", "Your own copy at this state, with every control; come back to the class at any time"] });
  bar.append(el("span", { class: "live-student" }, status, tryButton));

  let ready = false;
  let lastSeq = 0;
  /** @type {Record<string, any>} */
  const latest = {};
  /** @type {(id: string | null) => void} */
  let firstSession = () => {};
  const first = new Promise((resolve) => {
    firstSession = resolve;
    setTimeout(() => resolve(null), 5000);
  });

  tryButton.addEventListener("click", async () => {
    if (!store.state.spec) return;
    const link = new URL(await setupLink(store.state, { weights: true }));
    link.searchParams.set("back", classId);
    location.assign(link.toString());
  });

  const apply = {
    session(data) {
      const s = store.state.session;
      if (!s || s.id !== data.id) {
        store.set({ following: data.id });
        return actions.loadSession(data.id);
      }
      if (s.step !== data.step || s.updated_at !== data.updated_at) return actions.followTick();
      return undefined;
    },
    frame(data) {
      actions.followFrame(data);
    },
    view(data) {
      actions.mirrorView(data);
      if (data.tab) document.querySelector(`[data-teach-tab="${CSS.escape(data.tab)}"]:not([aria-selected=true])`)?.dispatchEvent(new MouseEvent("click"));
      if (data.presenter) presenter.set(data.presenter.on, data.presenter.hide);
      document.body.dataset.teacherPhase = data.phase;
    },
  };

  new ClassChannel(classId, { role: "student" }, (msg) => {
    if (msg.type !== "state" || msg.seq <= lastSeq) return;
    lastSeq = msg.seq;
    latest[msg.kind] = msg.data;
    if (msg.kind === "session") firstSession(msg.data.id);
    if (ready) apply[msg.kind]?.(msg.data);
    document.body.dataset.classSeq = String(msg.seq);
  }, (s, reason) => {
    status.dataset.status = s;
    if (s === "live") say(status, "live.following", "Live class");
    else if (s === "ended") say(status, "live.ended", "The class ended: {reason}", { reason: reason ?? "" });
    else say(status, "live.reconnecting", "Reconnecting…");
  });

  return {
    /** The teacher's session, once the class has sent it (at most a few seconds). */
    firstSession: () => first,
    /** After the first session is shown: apply what came meanwhile, then everything live. */
    ready() {
      ready = true;
      if (latest.session) apply.session(latest.session);
      if (latest.view) apply.view(latest.view);
    },
  };
}

/** On an own copy made from a class (?back=<id>): the way back. */
export function mountBack(bar, classId) {
  bar.append(el("a", { class: "btn btn-small live-back", "data-control": "back-to-class", href: joinUrl(classId), i18n: ["live.back", "Back to the class"] }));
}

/** A `?follow=<session>` link whose session is shown in a live class: that class's id. */
export async function classOfSession(sessionId) {
  try {
    const res = await fetch(`/api/networks/${encodeURIComponent(sessionId)}/class`);
    return res.ok ? (await res.json()).id ?? null : null;
  } catch {
    return null;
  }
}
