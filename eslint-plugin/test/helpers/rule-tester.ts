import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { RuleTester, type Rule } from 'eslint';
import tseslint from 'typescript-eslint';

// RuleTester under node:test, three ways a file can reach a rule: TypeScript with type information
// (the tsconfig fixture in fixtures/typed, where `faultline` resolves to its API's declarations),
// TypeScript without types, and plain JavaScript with ESLint's own parser. Every rule must give a
// sensible answer for all three; the typed one is what `recommended` runs.

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

export const TYPED_FIXTURE = fileURLToPath(new URL('../fixtures/typed/', import.meta.url));
/** The file every typed case is linted as (its text on disk is empty: the case's code replaces it). */
export const TYPED_FILE = path.join(TYPED_FIXTURE, 'file.ts');

export const typedTester = new RuleTester({
  languageOptions: {
    parser: tseslint.parser,
    parserOptions: { projectService: true, tsconfigRootDir: TYPED_FIXTURE },
  },
});

export const untypedTester = new RuleTester({ languageOptions: { parser: tseslint.parser } });

export const javascriptTester = new RuleTester();

type ValidCase = RuleTester.ValidTestCase;
type InvalidCase = RuleTester.InvalidTestCase;

/** A case's name when it has none: its last line (the shared declarations above it say nothing). */
function shortName(code: string): string {
  const lines = code.trim().split('\n');
  const last = lines.at(-1) ?? '';
  return lines.length > 1 ? `… ${last}` : last;
}

/** Lints the cases as the typed fixture's file. */
export function typed<Case extends ValidCase | InvalidCase>(cases: readonly (Case | string)[]): Case[] {
  return cases.map((item) => {
    const testCase = typeof item === 'string' ? ({ code: item } as Case) : item;
    return { name: shortName(testCase.code), ...testCase, filename: TYPED_FILE };
  });
}

const INCIDENT_ID = /^INC-[0-9]+$/;

/**
 * A test case that guards against an incident: its name starts with the incident ID
 * (`INC-7: a swallowed abort kept retrying after shutdown`), which is what `faultline incident
 * check` looks for in rule tests.
 */
export function incident<Case extends ValidCase | InvalidCase>(id: string, title: string, testCase: Case): Case {
  if (!INCIDENT_ID.test(id)) throw new TypeError(`incident ID ${JSON.stringify(id)} should look like INC-7`);
  return { ...testCase, name: `${id}: ${title}` };
}

/** The plugin's rules as ESLint's RuleTester types them (typescript-eslint's RuleModule is the same object). */
export function asEslintRule(rule: unknown): Rule.RuleModule {
  return rule as Rule.RuleModule;
}
