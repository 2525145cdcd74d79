// Wiring: one store, one set of actions, one module per panel.

import { createStore } from "./store.js";
import { createActions } from "./actions/index.js";
import { startPlayLoop } from "./play.js";
import { startPlayStream } from "./play-stream.js";
import { mountToasts } from "./views/toast.js";
import { mountPresets } from "./views/presets.js";
import { mountRunbar } from "./views/runbar.js";
import { mountBuilder } from "./views/builder.js";
import { mountData } from "./views/data.js";
import { mountOwnData } from "./views/own-data.js";
import { mountImages } from "./views/images.js";
import { mountTraining } from "./views/training.js";
import { mountNetwork } from "./views/network.js";
import { mountNetworkChrome } from "./views/network-chrome.js";
import { mountLossChart } from "./views/loss-chart.js";
import { mountBoundary } from "./views/boundary.js";
import { mountSidePanel } from "./views/side-panel.js";
import { mountTeaching } from "./views/teach/index.js";
import { mountClassroom } from "./classroom/index.js";
import { mountLesson } from "./lesson/index.js";
import { mountAddress } from "./views/address.js";
import { mountUndo } from "./views/undo.js";
import { mountRunTarget } from "./views/run-target.js";
import "./i18n/zh-address.js";
import "./i18n/zh.js";
import "./i18n/zh-lesson.js";
import "./i18n/zh-own-data.js";
import { mountFieldErrors } from "./views/field-errors.js";
import { mountDisplayFit, mountFormulaFit } from "./views/fit-formulas.js";
import { mountBuilderQuick } from "./views/builder-quick.js";
import "./i18n/zh-screens.js";

const $ = (id) => document.getElementById(id);

const store = createStore();
const actions = createActions(store);

mountToasts(store, $("toasts"));
mountPresets(store, actions, $("preset-select"));
mountRunbar(store, actions, $("runbar"));
mountRunTarget(store, actions, $("runbar"));
mountUndo(store, actions, $("runbar").querySelector(".run-buttons"));
mountData(store, actions, { controls: $("data-controls"), scatter: $("data-scatter"), hint: $("data-hint") });
mountOwnData(store, actions, $("own-data"));
mountImages(store, actions, $("panel-images"));
mountBuilder(store, actions, $("builder-controls"));
mountBuilderQuick(store, actions, $("builder-controls"));
mountTraining(store, actions, $("training-controls"));
mountFieldErrors(store);
mountFormulaFit(document);
const network = mountNetwork(store, actions, $("network"));
mountNetworkChrome(store, actions, { toolbar: $("network-toolbar"), footer: $("network-footer"), network });
mountLossChart(store, $("loss-chart"), actions);
mountBoundary(store, actions, { container: $("boundary"), legendSlot: $("boundary-legend"), subtitle: $("output-sub") });
mountSidePanel(store, $("side-panel"));
mountTeaching(store, actions, $("panel-side"), { presetNote: $("preset-note") });
const classroom = await mountClassroom(store, actions, { bar: $("classroom-bar"), network: $("network") });
const lesson = mountLesson(store, actions, { header: document.querySelector(".header-actions"), brand: document.querySelector(".brand") });
for (const box of [$("panel-side"), document.querySelector("[data-view=lesson]")]) if (box) mountDisplayFit(box);
const address = mountAddress(store, actions, { teach: $("panel-side"), notice: $("toasts") });
const playStream = startPlayStream(store, actions);
startPlayLoop(store, actions, { streaming: playStream.active });

// for the browser tests and the curious: read-only access to the state
window.backprop = { store, actions };

// a shared setup (#setup=…) or a session to follow (?follow=<id>) starts the page (classroom/)
// …or the session the address names (views/address.js), whose view it then restores
classroom.start().then((options) => actions.init(address.initOptions(options))).then(() => address.ready()).then(() => {
  classroom.ready();
  lesson.start();
  document.body.setAttribute("data-ready", "true");
});
