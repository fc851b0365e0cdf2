#!/usr/bin/env node
// The `keynode` executable (package.json "bin"; `npx keynode`, or `keynode` after `npm link` or a
// global install). The command line is TypeScript: tsx's loader, a dependency for this reason,
// compiles it as it is imported (cached), so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('./main.ts');
