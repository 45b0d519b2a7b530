// Runs before `npm test`: checks the system tools the suite drives for real, and installs the real agent CLIs
// (tools/agent-clis, kept out of the main install) the first time.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const missing = ['tmux', 'redis-server', 'promtool', 'prometheus', 'docker-compose'].filter(
  (tool) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0,
);
if (missing.length > 0) {
  process.stderr.write(
    `paneward tests need ${missing.join(', ')} on PATH: on Debian/Ubuntu run ` +
      '`sudo apt-get install -y tmux redis-server prometheus docker-compose` (prometheus brings promtool), or `sudo bash .ci/run`.\n',
  );
  process.exit(1);
}
// The board's tests drive Debian's chromium through playwright-core, which never downloads a browser.
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  process.stderr.write(`paneward's board tests need chromium at ${chromium}: \`sudo apt-get install -y chromium\` (or set CHROMIUM_PATH).\n`);
  process.exit(1);
}

// Every CLI tools/agent-clis lists must be there: a checkout installed before one was added lacks it.
const agentClis = Object.keys(JSON.parse(readFileSync('tools/agent-clis/package.json', 'utf8')).dependencies);
if (agentClis.some((name) => !existsSync(`tools/agent-clis/node_modules/${name}/package.json`))) {
  process.stdout.write('installing the real agent CLIs for the live tests (tools/agent-clis)…\n');
  const npm = spawnSync('npm', ['install', '--prefix', 'tools/agent-clis', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}

// The CLI tests run the compiled `paneward` (bin/paneward.js → dist/), as agents do: build it when it is stale.
const cliSources = readdirSync('src/cli', { recursive: true }).filter((f) => String(f).endsWith('.ts')).map((f) => `src/cli/${f}`);
const built = existsSync('dist/src/cli/main.js') ? statSync('dist/src/cli/main.js').mtimeMs : 0;
if (cliSources.some((f) => statSync(f).mtimeMs > built)) {
  process.stdout.write('building dist/ for the paneward command (npm run build)…\n');
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}
