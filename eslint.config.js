// Lint: typescript-eslint's recommended rules over the project's TypeScript (make test runs it).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'lib/', 'fixtures/build/', 'scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The engine seam: the probe engine and the ISAs see the machine, never the binding.
    files: ['src/**/*.ts', 'arch/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/emu/unicorn.js', '**/emu/unicorn-engine.js'],
              message: 'only emu/ knows which engine runs: use the CpuEngine interface (emu/engine.ts)',
            },
          ],
        },
      ],
    },
  },
  {
    rules: {
      // A handler closure may name a probe that is assigned after it is made.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
);
