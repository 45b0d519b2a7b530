// Runs the stand-in on its own: `tsx test/standin/main.ts [port] [log-file]`; prints its URL.
// Switch modes with `curl -XPOST $URL/_standin/mode -d '{"kind":"slow","seconds":30}'`.
import { startStandin } from './server.ts';

const port = process.argv[2] ? Number(process.argv[2]) : 0;
const standin = await startStandin({ port, logFile: process.argv[3] });
console.log(standin.url);
const stop = () => void standin.close().then(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
