/** The core and typescript-eslint rules issue 17 asks `recommended` to turn on beside the plugin's own. */
export const PLATFORM_RULES = [
  'preserve-caught-error',
  'no-unsafe-finally',
  'no-useless-catch',
  'no-empty',
  '@typescript-eslint/only-throw-error',
  '@typescript-eslint/no-floating-promises',
  '@typescript-eslint/no-misused-promises',
  '@typescript-eslint/prefer-promise-reject-errors',
  '@typescript-eslint/return-await',
] as const;
