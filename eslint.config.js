import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'bench/results.json', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      'no-restricted-exports': ['error', { restrictDefaultExports: { direct: true } }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Plain Node scripts (benchmarks, test fixtures): Node's globals are real;
    // typescript-eslint advises leaving undefined names to the compiler.
    files: ['**/*.mjs', '**/*.cjs'],
    rules: { 'no-undef': 'off' },
  },
  {
    // The dashboard's browser code, bundled by esbuild into /assets/dashboard.js.
    // Browser names (document, fetch, sessionStorage…) come from its tsconfig's
    // DOM lib, and Node's are absent there: typescript-eslint leaves undefined
    // names to the compiler (no-undef is off for TypeScript). What lint adds:
    // the bundle takes nothing from Node or the server but the API's types.
    files: ['src/triggers/http/dashboard/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', '../*', '!../api-types.js'],
              message: 'browser code imports its own modules and ../api-types.js only',
            },
          ],
        },
      ],
    },
  },
  {
    // Small modules, functions that read in one screen (docs/DESIGN.md).
    files: ['src/**/*.ts'],
    rules: {
      'max-lines': ['error', { max: 450, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 60, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**', 'src/config/**'],
    rules: {
      'no-restricted-properties': [
        'error',
        {
          object: 'process',
          property: 'env',
          message: 'config is read once at the edge (src/config, src/cli)',
        },
      ],
    },
  },
);
