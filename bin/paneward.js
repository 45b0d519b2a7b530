#!/usr/bin/env node
// The installed `paneward` command: runs the compiled CLI (dist/src/cli/, built by `npm run build`, which `npm install`
// runs through the prepare script), never a TypeScript loader, so that it starts fast.
import { main } from '../dist/src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
