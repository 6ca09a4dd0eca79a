// eslint-plugin-faultline: the seed's error-handling lint rules for TypeScript, for ESLint 10 flat
// config and typescript-eslint 8. Rules ask the type checker when the file has types and fall back
// to names and syntax when it has none.
//
// Must never: throw on any code it is shown (a crash stops the whole lint run, not one rule), make
// a fix that changes what a program does beyond the message of a log line, or import faultline
// itself (the plugin works on code that uses faultline; it does not need it installed).

import type { TSESLint } from '@typescript-eslint/utils';
import tseslint from 'typescript-eslint';
import { FAULTLINE_ERROR_CLASSES } from './analysis/toolkit.ts';
import { namespaced, platformRules, preserveCaughtError, recommendedPluginRules, strictPluginRules } from './configs.ts';
import { rules } from './rules/index.ts';
import { PLUGIN_VERSION } from './version.ts';

type Config = TSESLint.FlatConfig.Config;

interface FaultlinePlugin {
  meta: { name: string; version: string; namespace: string };
  rules: typeof rules;
  configs: { recommended: Config; strict: Config };
}

const configs = {} as FaultlinePlugin['configs'];

const plugin: FaultlinePlugin = {
  meta: { name: 'eslint-plugin-faultline', version: PLUGIN_VERSION, namespace: 'faultline' },
  rules,
  configs,
};

// Configs refer to the plugin object itself, so they are added once it exists. typescript-eslint's
// plugin and parser are the user's own copy (a peer dependency): the same objects their
// typescript-eslint configs register, so ESLint sees no conflicting plugin definitions.
const plugins = { faultline: plugin as unknown as TSESLint.FlatConfig.Plugin, '@typescript-eslint': tseslint.plugin as TSESLint.FlatConfig.Plugin };
const languageOptions = { parser: tseslint.parser as TSESLint.FlatConfig.Parser };

configs.recommended = {
  name: 'faultline/recommended',
  plugins,
  languageOptions,
  rules: { ...platformRules, ...namespaced(recommendedPluginRules) },
};

configs.strict = {
  name: 'faultline/strict',
  plugins,
  languageOptions,
  rules: { ...platformRules, ...namespaced(strictPluginRules) },
};

/**
 * A config that adds the app's own error classes to `preserve-caught-error` (which matches classes
 * by the name they are called by), after `recommended` or `strict`:
 *
 *     export default [faultline.configs.recommended, appErrorClasses(['CardDeclined', 'GatewayTimeout'])];
 */
export function appErrorClasses(names: readonly string[]): Config {
  return { name: 'faultline/app-error-classes', rules: { 'preserve-caught-error': preserveCaughtError(names) } };
}

export { FAULTLINE_ERROR_CLASSES, rules };
export default plugin;
