// The lesson's seven steps, in order: each has a title, an optional setup (run once when the
// step is entered: it makes the page's session through the actions) and mount(ctx, body),
// which draws the step and keeps it current; it returns {destroy}.

import { learning } from "./steps/learning.js";
import { oneWeight } from "./steps/one-weight.js";
import { chain } from "./steps/chain.js";
import { layers } from "./steps/layers.js";
import { paths } from "./steps/paths.js";
import { dp } from "./steps/dp.js";
import { sgd } from "./steps/sgd.js";

/** @type {{title: string[], setup?: (ctx: any) => void, mount: (ctx: any, body: HTMLElement) => {destroy?: () => void}}[]} */
export const STEPS = [learning, oneWeight, chain, layers, paths, dp, sgd];
