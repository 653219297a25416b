// Lint rules: the recommended JavaScript and TypeScript sets, with Node's globals for scripts.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: ["dist/**", "node_modules/**", "beam/ebin/**", "examples/**/_build/**", "examples/**/deps/**"],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: globals.node },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  { files: ["ui/src/**"], languageOptions: { globals: globals.browser } },
);
