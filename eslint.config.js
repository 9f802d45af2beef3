// Lint, with the runtime boundaries enforced as rules (see docs/architecture.md):
// shared/ runs everywhere, so it imports neither Node, the DOM nor Electron; the mail
// engine (electron/core) never imports Electron; the renderer imports no Node module.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeModules = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];
const nodeOnlyPackages = ['ws', 'imapflow', 'nodemailer', 'mailparser'];
const domGlobals = ['window', 'document', 'navigator', 'location', 'localStorage', 'sessionStorage', 'indexedDB', 'fetch', 'WebSocket'];

const restrict = (paths, patterns, message) => ({
  'no-restricted-imports': [
    'error',
    {
      paths: paths.map((name) => ({ name, message })),
      patterns: patterns.map((group) => ({ group: [group], message })),
    },
  ],
});

export default tseslint.config(
  { ignores: ['out/**', 'release/**', 'node_modules/**', 'test-results/**', 'playwright-report/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      eqeqeq: ['error', 'always'],
    },
  },
  {
    // Playwright fixtures take their dependencies by destructuring, `{}` when there are none.
    files: ['e2e/**/*.ts'],
    rules: { 'no-empty-pattern': 'off' },
  },
  {
    files: ['shared/**/*.ts'],
    ignores: ['shared/**/*.test.ts', 'shared/**/testing/**'],
    rules: {
      ...restrict(
        [...nodeModules, 'electron', 'react', 'react-dom', 'dexie', ...nodeOnlyPackages],
        ['**/electron/**', '**/renderer/**'],
        'shared/ runs in Node, Electron and the browser: it may import only shared/ and pure packages (zod).',
      ),
      'no-restricted-globals': ['error', ...domGlobals, 'process', 'Buffer', 'require', '__dirname'],
    },
  },
  {
    files: ['electron/core/**/*.ts', 'electron/host/**/*.ts', 'electron/transports/websocket-*.ts'],
    rules: restrict(
      ['electron'],
      ['**/renderer/**', '**/electron/main/main*', '**/electron/main/window*', '**/electron/preload/**'],
      'The mail engine and the Node host are plain Node: they never import Electron.',
    ),
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    rules: restrict(
      [...nodeModules, 'electron', ...nodeOnlyPackages],
      ['**/electron/**'],
      'The renderer is a web app: no Node modules, no Electron, no engine code. Talk to the engine over the contract.',
    ),
  },
);
