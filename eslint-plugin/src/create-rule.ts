import { ESLintUtils } from '@typescript-eslint/utils';
import { PLUGIN_VERSION } from './version.ts';

/** Docs that rules link to: each page ships in the package (`docs/rules/<id>.md`), so the link matches the installed version. */
export function ruleDocsUrl(ruleName: string): string {
  return `https://unpkg.com/eslint-plugin-faultline@${PLUGIN_VERSION}/docs/rules/${ruleName}.md`;
}

export interface FaultlineRuleDocs {
  /** The first config that turns the rule on: `recommended` (and so `strict`), or `strict` only. */
  config: 'recommended' | 'strict';
  /** The seed's Ruff rules this rule stands for (README: "From the seed's Ruff rules"). */
  seedRules: readonly string[];
}

export const createRule = ESLintUtils.RuleCreator<FaultlineRuleDocs>(ruleDocsUrl);

/** The JSON schema of an option that lists names (functions, classes) to add to a rule's own. */
export function namesOption(description: string): { type: 'array'; items: { type: 'string' }; uniqueItems: true; description: string } {
  return { type: 'array', items: { type: 'string' }, uniqueItems: true, description };
}
