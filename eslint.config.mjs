// ESLint for the browser code that ships with the Python packages (`npx eslint .`, run by scripts/run_tests.sh).
import js from "@eslint/js";
import globals from "globals";

export default [
  {
    ignores: [".venv/", "venv/", "build/", "dist/", "test-artifacts/", "**/*.egg-info/"],
  },
  js.configs.recommended,
  {
    // Panel JSComponent `_esm` files: ES modules run in the page.
    files: ["**/*.js"],
    languageOptions: {
      sourceType: "module",
      globals: globals.browser,
    },
  },
  {
    // Bokeh CustomJS bodies: each file is the body of a function (strict mode) whose parameters are the
    // callback's args plus cb_obj, cb_data and cb_context; each file names those it uses in a /* global */ line.
    files: ["**/*.callback.js"],
    languageOptions: {
      sourceType: "script",
      parserOptions: { ecmaFeatures: { globalReturn: true } },
    },
  },
];
