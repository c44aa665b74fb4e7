// @ts-check
/**
 * `npm run lint`: ESLint with typescript-eslint's type-aware rules over every TypeScript file
 * of tsconfig.json. The rules that matter most here are the promise rules (a promise nobody
 * awaits or catches is an outage nobody hears of) and the no-unsafe-* family (an `any` that
 * flows on silently disables the type checker downstream). `any` is allowed only behind an
 * `eslint-disable-next-line @typescript-eslint/no-explicit-any -- <why>` comment: every
 * disable directive must say why, and one that no longer disables anything is an error.
 */
import js from '@eslint/js';
import comments from '@eslint-community/eslint-plugin-eslint-comments/configs';
import { defineConfig, globalIgnores } from 'eslint/config';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', '.dist-*.tmp/', '.caregraph/', 'coverage/', 'bench/node_modules/', 'bench/results/']),
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  comments.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@eslint-community/eslint-comments/require-description': ['error', { ignore: ['eslint-enable'] }],
      '@eslint-community/eslint-comments/disable-enable-pair': ['error', { allowWholeFile: true }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Off: here an async function without await is one that implements a promise-returning
      // interface (routes, resolvers, fakes in tests); the two rules above catch the real mistakes.
      '@typescript-eslint/require-await': 'off',
      // `_`-prefixed parameters and destructured leftovers say "deliberately unused".
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Tests read rows straight from the database (node-postgres types them `any`) and assert on
    // them with expect(): the no-unsafe-* family would demand a cast per column without making a
    // test any safer. Production code keeps every rule.
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'lib/**/test-support.ts', 'lib/**/*.fixture.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
    },
  },
  {
    // This file and any other plain JavaScript: no type information to lint with.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
