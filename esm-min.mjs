#!/usr/bin/env node
const { main } = await import('../p-esm-min/main.js');
process.exitCode = await main(process.argv);
