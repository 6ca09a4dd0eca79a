import { readdirSync, readFileSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
// The plugin's source, run by Node directly: linting needs no build (tests check the built package).
import faultline, { appErrorClasses } from './eslint-plugin/src/index.ts';

/** Classes the examples define with `export const X = defineError(…)`, so preserve-caught-error checks their `cause`. */
function definedErrorClasses(folder) {
  const files = readdirSync(folder, { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.ts'));
  return files.flatMap((name) => [...readFileSync(new URL(name, folder), 'utf8').matchAll(/^export const (\w+) = defineError\(/gm)].map((match) => match[1]));
}

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'bench/node_modules/**', 'grafana/dashboards/**', 'eslint-plugin/dist/**'] },
  js.configs.recommended,
  {
    files: ['src/**/*.ts', 'examples/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked, faultline.configs.recommended, appErrorClasses(definedErrorClasses(new URL('./examples/', import.meta.url)))],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
    },
  },
  {
    // The viewer's page scripts run in the browser; tsc (checkJs with the DOM library) checks their names.
    files: ['src/receiver/viewer/assets/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
);
