// Type-aware lint with the architecture's boundaries as rules (docs/ARCHITECTURE.md):
// domain folders and shared/ never import `vscode`, domain folders never import the surface folders,
// shared/ imports no Node module; webview/ imports only webview/ and shared/.
import js from '@eslint/js';
import { builtinModules } from 'node:module';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const DOMAIN = [
  'src/store/**',
  'src/git/**',
  'src/runs/**',
  'src/params/**',
  'src/mlflow/**',
  'src/registry/**',
  'src/util/**',
  'src/insights/**',
  'src/mlruns/**',
  'src/cli/**',
  'src/sync/**',
];
const hostOnly = {
  group: ['**/test/**', '**/webview/**'],
  message: 'The extension host does not import tests or webview code.',
};
const noSurface = {
  group: ['**/views/**', '**/commands/**', '**/editor/**', '**/panels/**', '**/extension'],
  message:
    'Domain code does not import the surface (views/, commands/, editor/, panels/, extension.ts): move what both need into the domain, or pass it in.',
};
// Bare names too ('fs' as well as 'node:fs'): shared/ runs in webviews, where Node does not exist.
const nodeBuiltins = builtinModules
  .filter((name) => !name.startsWith('_'))
  .map((name) => ({ name, message: 'shared/ runs in the host, webviews and workers: no Node modules.' }));
const noVscode = {
  name: 'vscode',
  message:
    'Domain code and shared/ are plain TypeScript: take what you need from VS Code through a surface folder (views/, editor/, panels/, commands/).',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'out/',
      'out-*/',
      'test-results/',
      '**/*.vsix',
      '.vscode-test/',
      '.vscode-dev/',
    ],
  },
  js.configs.recommended,
  importX.flatConfigs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.mjs'] })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-unnecessary-condition': 'off',
      'import-x/no-cycle': 'error',
      // `vscode` exists only inside the extension host; @types/vscode gives its types.
      'import-x/no-unresolved': ['error', { ignore: ['^vscode$'] }],
      'import-x/no-default-export': 'error',
      eqeqeq: ['error', 'always'],
    },
  },
  {
    files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, program: null, project: false },
      globals: {
        console: 'readonly',
        process: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        require: 'readonly',
        exports: 'writable',
        __dirname: 'readonly',
      },
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['eslint.config.mjs'],
    rules: { 'import-x/no-default-export': 'off' },
  },
  {
    files: ['src/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [hostOnly] }] },
  },
  {
    files: DOMAIN,
    rules: { 'no-restricted-imports': ['error', { paths: [noVscode], patterns: [hostOnly, noSurface] }] },
  },
  {
    // Command logic unit-tested in Node through the App port (src/app/app.ts): the `vscode` module
    // does not exist there, so these files may name its types but never load it.
    files: [
      'src/app/app.ts',
      'src/app/commandRegistry.ts',
      'src/app/commands.ts',
      'src/commands/runCommands.ts',
      'src/commands/runLifecycle.ts',
      'src/commands/rerunRuns.ts',
      'src/commands/stopRun.ts',
      'src/commands/runTargets.ts',
      'src/commands/openCharts.ts',
    ],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              allowTypeImports: true,
              message: 'This module runs in Node unit tests: reach VS Code through the App port (src/app/app.ts).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [noVscode, ...nodeBuiltins],
          patterns: [
            {
              group: ['node:*', '**/src/**', '**/webview/**', '**/test/**'],
              message: 'shared/ runs in the host, webviews and workers: no Node, no host or webview code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['webview/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message: "Can't use `vscode` in webviews: talk to the host through shared/messaging.ts.",
            },
          ],
          patterns: [
            {
              group: ['node:*', '**/src/**', '**/test/**', '**/python/**'],
              message: 'webview/ imports only webview/ and shared/.',
            },
          ],
        },
      ],
    },
  },
);
