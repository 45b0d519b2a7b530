// npm run openapi: write openapi/openapi.json from the routes.
import { writeFileSync } from 'node:fs';
import { generateOpenApi } from '../src/openapi/generate.ts';

const path = new URL('../openapi/openapi.json', import.meta.url);
writeFileSync(path, await generateOpenApi());
process.stdout.write(`wrote ${path.pathname}\n`);
