import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layeringConfig } from './lint/layering.js';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'bench/results/**',
      '**/*.js',
      '!eslint.config.js',
      '!lint/**/*.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        // node:test's test()/describe() return promises the runner itself awaits.
        {
          allowForKnownSafeCalls: [
            {
              from: 'package',
              package: 'node:test',
              name: ['test', 'it', 'describe', 'suite', 'before', 'after'],
            },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Handlers implement async interfaces; an await-free body is not a bug.
      '@typescript-eslint/require-await': 'off',
      'no-console': ['error', { allow: ['error', 'warn'] }],
    },
  },
  {
    files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts', 'bin/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  // Import layering (CONTRIBUTING.md, "Import layering"): product code imports only its own layer or the ones
  // below it, and never benchmarks or tests. Test and bench code may import anything.
  layeringConfig,
  { files: ['eslint.config.js', 'lint/**/*.js'], ...tseslint.configs.disableTypeChecked },
  {
    // The Node.js version check: plain CommonJS that any Node.js can run before the TypeScript CLI loads.
    files: ['**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: { require: 'readonly', module: 'writable', process: 'readonly', console: 'readonly' },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
