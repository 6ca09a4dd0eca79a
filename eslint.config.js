import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'coverage/**', 'node_modules/**', 'bench/node_modules/**', 'grafana/dashboards/**'] },
  js.configs.recommended,
  {
    files: ['src/**/*.ts', 'examples/**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
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
