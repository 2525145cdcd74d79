// The run bar above the network: Forward, Backward, Step, Play/Pause, Reset,
// the speed control, and the step counter with the current losses and accuracies.

import { SPEEDS } from "../actions/play.js";
import { plain, pct } from "../format.js";
import { onLanguageChange, t } from "../i18n.js";
import { setText } from "../dom.js";

const NO_DATA = "—";

export function mountRunbar(store, actions, root) {
  const $ = (sel) => root.querySelector(sel);
  $("[data-action=forward]").addEventListener("click", () => actions.forward());
  $("[data-action=backward]").addEventListener("click", () => actions.backward());
  $("[data-action=step]").addEventListener("click", () => actions.step());
  $("[data-action=play]").addEventListener("click", () => actions.togglePlay());
  $("[data-action=reset]").addEventListener("click", () => actions.reset());

  const speed = $("[data-control=speed]");
  const speedLabel = root.querySelector("#speed-label");
  speed.max = String(SPEEDS.length - 1);
  speed.addEventListener("input", () => actions.setSpeed(Number(speed.value)));
  let measured = null;
  store.on("rate", (r) => {
    measured = r;
    renderSpeed();
  });

  function renderSpeed() {
    const s = SPEEDS[store.state.speed];
    speed.value = String(store.state.speed);
    const label = t(`speed.${s.label}`, s.label);
    speedLabel.textContent = measured ? t("run.rate", "{speed} · {rate} steps/s", { speed: label, rate: Math.round(measured) }) : label;
  }

  function renderPlay() {
    const playing = store.state.playing;
    const btn = $("[data-action=play]");
    btn.setAttribute("aria-pressed", String(playing));
    btn.querySelector("[data-role=play-label]").textContent = playing ? t("run.pause", "Pause") : t("run.play", "Play");
    btn.querySelector("[data-role=play-icon]").textContent = playing ? "❚❚" : "▶";
  }

  function renderMetrics() {
    const { session, history } = store.state;
    const n = history.step.length;
    const last = (key) => (n ? history[key][n - 1] : null);
    const m = session?.metrics;
    const val = (key) => (m && m[key] !== undefined ? m[key] : last(key));
    // a split without points has no loss or accuracy: the last step's values are of data
    // that is gone, so "—" until a point is added (or when there is no value at all)
    const d = session?.dataset;
    const shown = (text, split) => (!text || d?.[split] === 0 ? NO_DATA : text);
    setText($("[data-metric=step]"), String(session?.step ?? 0));
    setText($("[data-metric=loss]"), shown(plain(val("train_loss"), 4), "n_train"));
    setText($("[data-metric=test-loss]"), shown(plain(val("test_loss"), 4), "n_test"));
    setText($("[data-metric=train-accuracy]"), shown(pct(val("train_accuracy")), "n_train"));
    setText($("[data-metric=test-accuracy]"), shown(pct(val("test_accuracy")), "n_test"));
  }

  // an empty canvas (own data) cannot train: the buttons say why instead of failing
  const needPoints = ["forward", "backward", "step", "play"].map((a) => $(`[data-action=${a}]`));
  const titles = needPoints.map((b) => b.getAttribute("title"));
  function renderEmpty() {
    const empty = store.state.session?.dataset?.n_train === 0;
    const why = t("own.needPoints", "Add at least 1 training point to train: click the data plot.");
    needPoints.forEach((b, i) => {
      b.disabled = empty;
      b.setAttribute("title", empty ? why : t(b.getAttribute("data-i18n-title") ?? "", titles[i] ?? ""));
      if (empty) b.setAttribute("data-disabled-reason", why);
      else b.removeAttribute("data-disabled-reason");
    });
  }
  store.on("session", renderEmpty);
  onLanguageChange(renderEmpty);

  store.on("playing", renderPlay);
  store.on("speed", renderSpeed);
  store.on(["session", "history"], renderMetrics);
  store.on("busy", (busy) => document.body.classList.toggle("is-busy", busy && !store.state.playing));
  renderPlay();
  renderSpeed();
  onLanguageChange(() => {
    renderPlay();
    renderSpeed();
  });
}
