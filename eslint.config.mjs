// The linter of `npm run lint` (and so of `npm test` and CI): ESLint's and typescript-eslint's
// recommended rules over the package's TypeScript and scripts. Formatting is Prettier's.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test-artifacts/**', '.node-red/**', '.node-red-demo/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      // tsc reports these (noUnusedLocals, noUnusedParameters); a leading _ marks what a destructuring leaves out.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Tests and the stand-in read peers' untyped JSON; the package code does not lean on it.
      '@typescript-eslint/no-explicit-any': 'off',
      // Node-RED loads CommonJS modules: node types and the test helper are required by path.
      '@typescript-eslint/no-require-imports': 'off',
      // Node-RED's own convention in a node's constructor: `const node = this`.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  {
    files: ['scripts/**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        __dirname: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
);
