// ESLint for the page's ES modules (static/js), their unit tests (tests/js), the bench's
// Playground driver (bench/playground) and this config.
// Vendored libraries (static/vendor) are other projects' code and are not linted.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["static/vendor/", "node_modules/", ".venv/", "test-artifacts/", "data/"] },
  js.configs.recommended,
  {
    files: ["static/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      // d3 and katex come from <script> tags in templates/index.html
      globals: { ...globals.browser, d3: "readonly", katex: "readonly" },
    },
  },
  {
    files: ["static/docs-init.js"],
    languageOptions: { sourceType: "script" },
  },
  {
    // our driver of Playground's engine for `make bench` (CommonJS, as Playground's build is)
    files: ["bench/**/*.cjs"],
    languageOptions: { ecmaVersion: 2022, sourceType: "commonjs", globals: { ...globals.node } },
  },
  {
    files: ["tests/js/**/*.js", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
  {
    rules: {
      "no-unused-vars": ["error", { args: "after-used", argsIgnorePattern: "^_", ignoreRestSiblings: true, caughtErrors: "none" }],
      eqeqeq: ["error", "smart"],
      "prefer-const": "error",
      "no-var": "error",
    },
  },
];
