#!/usr/bin/env node
// The installed command runs the compiled JavaScript (built by `npm run build`, run by `prepare`), so it starts
// without a TypeScript loader.
import '../dist/src/cli/main.js';
