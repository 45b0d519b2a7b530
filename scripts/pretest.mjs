// Runs before `npm test`: checks the system tools the suite drives for real, and installs the real agent CLIs
// (tools/agent-clis, kept out of the main install) the first time.
import { existsSync } from 'node:fs';
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

if (!existsSync('tools/agent-clis/node_modules/.bin/claude')) {
  process.stdout.write('installing the real agent CLIs for the live tests (tools/agent-clis)…\n');
  const npm = spawnSync('npm', ['ci', '--prefix', 'tools/agent-clis', '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (npm.status !== 0) process.exit(npm.status ?? 1);
}
