// What the page's modules expect from the browser that Node lacks: d3 as a global (the page
// loads the vendored build with a <script> tag) and navigator.language (i18n.js).
import { readFileSync } from "node:fs";
import { runInThisContext } from "node:vm";

const D3 = new URL("../../static/vendor/d3-7.9.2/d3.min.js", import.meta.url);

if (!("d3" in globalThis)) runInThisContext(readFileSync(D3, "utf8"), { filename: D3.pathname }); // its UMD sets globalThis.d3
if (!globalThis.navigator) globalThis.navigator = /** @type {Navigator} */ ({ language: "en" });
