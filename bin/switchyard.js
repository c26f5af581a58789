#!/usr/bin/env node
import { existsSync } from 'node:fs';
import module from 'node:module';

// V8's compiled code kept on disk between runs (Node >= 22.1; absent on 20).
module.enableCompileCache?.();

// The bundle `npm run build` makes (scripts/build-cli.mjs): one file to load
// instead of a hundred modules. tsc's dist/cli/main.js when it is missing.
const bundle = new URL('../dist/bundle/main.js', import.meta.url);
const { main } = await import(existsSync(bundle) ? bundle.href : '../dist/cli/main.js');

process.exitCode = await main(process.argv);
