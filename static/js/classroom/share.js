// Sharing: a setup link that recreates the exact setup (network, dataset, training
// settings and, if chosen, the current weights) in a fresh session, and a follow link
// to this live session that students open read-only (follow.js).
//
// The setup link carries the create request (POST /api/networks body) in the URL
// fragment, so it never reaches a server log: #setup=j.<base64url JSON>, or for long
// requests (explicit points) #setup=z.<base64url of deflate-raw JSON>.

import { el } from "../dom.js";
import { onLanguageChange, t } from "../i18n.js";
import { clone } from "../spec.js";
import { popover } from "./util.js";

const COMPRESS_OVER = 1800; // characters of base64url JSON

function toBase64Url(bytes) {
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const bin = atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function pipe(bytes, stream) {
  return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
}

/** The fragment value of a create request. */
async function encodeSetup(spec) {
  const bytes = new TextEncoder().encode(JSON.stringify(spec));
  const plain = `j.${toBase64Url(bytes)}`;
  if (plain.length <= COMPRESS_OVER || typeof CompressionStream === "undefined") return plain;
  return `z.${toBase64Url(await pipe(bytes, new CompressionStream("deflate-raw")))}`;
}

/** The create request of a fragment value (throws on a damaged link). */
export async function decodeSetup(value) {
  const [kind, data] = [value.slice(0, 2), value.slice(2)];
  let bytes = fromBase64Url(data);
  if (kind === "z.") bytes = await pipe(bytes, new DecompressionStream("deflate-raw"));
  else if (kind !== "j.") throw new Error("unknown format");
  const spec = JSON.parse(new TextDecoder().decode(bytes));
  if (!spec || typeof spec !== "object" || !spec.network || !spec.dataset) throw new Error("not a create request");
  return spec;
}

/** The setup value in the page's fragment (#setup=…), or null. */
export function setupInUrl() {
  const m = /(?:^#|&)setup=([^&]+)/.exec(location.hash);
  return m ? m[1] : null;
}

/**
 * The create request that recreates the current setup: the spec the page created the session
 * from, with the training settings in force and, with `weights`, the current weights.
 */
function shareableSpec(state, { weights = false } = {}) {
  const spec = clone(state.spec);
  delete spec.state;
  delete spec.history;
  const s = state.session;
  if (s?.training) {
    for (const k of Object.keys(spec.training ?? {})) if (s.training[k] !== undefined) spec.training[k] = s.training[k];
  }
  if (weights && s) {
    spec.network.weights = clone(s.network.weights);
    if (s.network.biases) spec.network.biases = clone(s.network.biases);
    else delete spec.network.biases;
  }
  return spec;
}

export async function setupLink(state, options) {
  return `${location.origin}${location.pathname}#setup=${await encodeSetup(shareableSpec(state, options))}`;
}

function followLink(id) {
  return `${location.origin}${location.pathname}?follow=${encodeURIComponent(id)}`;
}

/** Copy `input`'s text: the clipboard API where the page may use it, else select it for Ctrl+C. */
async function copy(input, status) {
  input.focus();
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    status.textContent = t("share.copied", "Copied.");
  } catch {
    status.textContent = t("share.pressCopy", "Selected: press Ctrl+C (⌘C) to copy.");
  }
}

export function mountShare(store, container) {
  const button = el("button", {
    type: "button", class: "cl-btn", "data-control": "share",
    "i18n-title": ["share.title", "Links: recreate this setup, or follow this session live"],
  }, el("span", { class: "cl-icon", "aria-hidden": "true", text: "⇪" }), el("span", { i18n: ["share.button", "Share"] }));
  container.append(button);

  const withWeights = el("input", { type: "checkbox", "data-control": "share-weights" });
  const setupInput = el("input", { type: "text", readonly: true, class: "cl-link", "data-role": "setup-link", "i18n-aria-label": ["share.setupTitle", "Link to this setup"] });
  const followInput = el("input", { type: "text", readonly: true, class: "cl-link", "data-role": "follow-link", "i18n-aria-label": ["share.followTitle", "Follow link (read-only, live)"] });
  const setupStatus = el("span", { class: "hint cl-status", role: "status" });
  const followStatus = el("span", { class: "hint cl-status", role: "status" });
  const weightsNote = el("span", { class: "hint" });
  const openCopy = el("a", { class: "btn btn-small", "data-role": "open-copy", target: "_blank", rel: "noopener", i18n: ["share.openCopy", "Open as a new session"] });

  const panel = el("div", { class: "cl-panel cl-share", "data-role": "share-panel", role: "dialog", "i18n-aria-label": ["share.button", "Share"] },
    el("h2", { class: "cl-panel-title", i18n: ["share.setupTitle", "Link to this setup"] }),
    el("p", { class: "hint", i18n: ["share.setupText", "Opens a new session with the same network, dataset and training settings. Nothing changes here."] }),
    el("label", { class: "chip cl-check" }, withWeights, el("span", { i18n: ["share.weights", "include the current weights"] }), weightsNote),
    el("div", { class: "cl-row" }, setupInput,
      el("button", { type: "button", class: "btn btn-small", "data-role": "copy-setup", i18n: ["share.copy", "Copy"], onclick: () => copy(setupInput, setupStatus) })),
    el("div", { class: "cl-row" }, setupStatus, openCopy),
    el("h2", { class: "cl-panel-title", i18n: ["share.followTitle", "Follow link (read-only, live)"] }),
    el("p", { class: "hint", i18n: ["share.followText", "Students who open it see this session as it trains; they cannot change it. Open a live class (below) and everything you show is pushed to them as it changes, new networks, datasets and presets included."] }),
    el("div", { class: "cl-row" }, followInput,
      el("button", { type: "button", class: "btn btn-small", "data-role": "copy-follow", i18n: ["share.copy", "Copy"], onclick: () => copy(followInput, followStatus) })),
    followStatus);
  popover(button, panel, { onOpen: render });

  /** @type {string | null} the live class's join link, once the teacher opened one (live.js) */
  let joinLink = null;
  let seq = 0;
  async function render() {
    const state = store.state;
    if (!state.session || !state.spec) return;
    setupStatus.textContent = "";
    followStatus.textContent = "";
    weightsNote.textContent = t("share.atStep", "(step {step})", { step: state.session.step });
    const mine = ++seq;
    const link = await setupLink(state, { weights: withWeights.checked });
    if (mine !== seq) return;
    setupInput.value = link;
    openCopy.href = link;
    followInput.value = joinLink ?? followLink(state.session.id);
  }
  withWeights.addEventListener("change", render);
  store.on("spec", () => {
    if (panel.matches(":popover-open")) render();
  });
  onLanguageChange(() => {
    if (panel.matches(":popover-open")) render();
  });
  return {
    button, panel,
    /** @param {string} link  the join link shown (and copied) instead of the follow link */
    setJoin(link) {
      joinLink = link;
      followInput.value = link;
    },
  };
}
