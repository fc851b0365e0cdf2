import js from '@eslint/js';
import * as path from 'node:path';
import tseslint from 'typescript-eslint';

/**
 * Keeps the layering from drifting (docs/design.md, "Where the code lives"): an import may not reach
 * a `forbid`den top-level folder, and where `packages` is given, only those packages ('node:' for
 * Node's own modules). protocol/ is the wire module src/ and signaling-server/ share, so it imports
 * neither, and neither imports the other.
 */
const layers = {
  meta: { type: 'problem', schema: [{ type: 'object' }] },
  create(context) {
    const { forbid = [], packages } = context.options[0] ?? {};
    const check = (node) => {
      const spec = node.source?.value;
      if (typeof spec !== 'string') return;
      if (spec.startsWith('.')) {
        const [top] = path.relative(import.meta.dirname, path.resolve(path.dirname(context.filename), spec)).split(path.sep);
        if (forbid.includes(top))
          context.report({
            node: node.source,
            message: `${path.relative(import.meta.dirname, context.filename).split(path.sep)[0]}/ must not import ${top}/ ("${spec}").`,
          });
        return;
      }
      const name = spec.startsWith('node:')
        ? 'node:'
        : spec
            .split('/')
            .slice(0, spec.startsWith('@') ? 2 : 1)
            .join('/');
      if (packages !== undefined && !packages.includes(name))
        context.report({ node: node.source, message: `"${name}" is not among the packages this folder may use (${packages.join(', ')}).` });
    };
    return { ImportDeclaration: check, ExportAllDeclaration: check, ExportNamedDeclaration: check, ImportExpression: check };
  },
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'artifacts/', '.bench/', '.scratch/', 'dev-dist/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  { plugins: { keynode: { rules: { layers } } } },
  { files: ['src/**'], rules: { 'keynode/layers': ['error', { forbid: ['signaling-server'] }] } },
  {
    files: ['signaling-server/src/**'],
    rules: { 'keynode/layers': ['error', { forbid: ['src'], packages: ['node:', 'ws', 'ioredis', 'valibot'] }] },
  },
  {
    // The page bundles protocol/, so no Node modules; @noble/curves for the strict point check.
    files: ['protocol/**'],
    rules: { 'keynode/layers': ['error', { forbid: ['src', 'signaling-server'], packages: ['valibot', '@noble/curves', '@scure/base'] }] },
  },
  {
    // Plain Node scripts (not type-checked): Node's globals.
    files: ['scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly' } },
  },
  {
    files: ['bench/**', 'scripts/**', 'signaling-server/src/main.ts', 'src/cli/**'],
    rules: { 'no-console': 'off' },
  },
);
