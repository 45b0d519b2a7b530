// Secrets on a screen never leave the process unredacted: evidence, /explain, /history, and /screen by default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildApp } from '../../src/app.ts';
import { configWith } from '../../src/config.ts';
import { agentId } from '../../src/loop/agent-id.ts';
import { FakeTmuxServer } from '../helpers/fake-tmux.ts';
import { cycle, getJson, MONITOR } from './helper.ts';

const SECRET = 'Zx9fQ2mB7vK4pL1sT8wR3yN6cH0jD5gE2aU9iO4q';
const PROMPT = `user@host:~$ export aws_secret_access_key=${SECRET}`;

test('an aws_secret_access_key in a shell prompt reaches no response unless /screen is asked with redact=false', async (t) => {
  // The real detector (profiles and all), so /explain has a trace to show.
  const fake = new FakeTmuxServer();
  const app = await buildApp(configWith({ monitorId: MONITOR }), { servers: [fake], startLoop: false, logger: false });
  t.after(() => app.close());
  const id = (paneId: string) => agentId(MONITOR, { socket: fake.socket, serverPid: fake.serverPid, paneId });
  fake.setPanes([{ paneId: '%1', currentCommand: 'bash' }]);
  fake.setScreen('%1', `ls\nREADME.md\n${PROMPT}`);
  await cycle(app);

  for (const url of ['/v1/agents', `/v1/agents/${id('%1')}`, `/v1/agents/${id('%1')}/history`, `/v1/agents/${id('%1')}/explain`, `/v1/agents/${id('%1')}/screen`]) {
    const { res } = await getJson(app, url);
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    assert.ok(!res.body.includes(SECRET), `${url} leaks the secret: ${res.body}`);
  }
  const screen = (await getJson(app, `/v1/agents/${id('%1')}/screen`)).body;
  assert.match(screen.text, /\[redacted\]/);
  assert.match(screen.text, /^ls\nREADME\.md\nuser@host:~\$ export /);
  const agent = (await getJson(app, `/v1/agents/${id('%1')}`)).body;
  assert.match(agent.detail.evidence, /\[redacted\]/, 'the prompt line is the evidence, masked');

  const raw = (await getJson(app, `/v1/agents/${id('%1')}/screen?redact=false`)).body;
  assert.ok(raw.text.includes(SECRET), 'redact=false shows the screen as captured');
  const on = (await getJson(app, `/v1/agents/${id('%1')}/screen?redact=true`)).body;
  assert.ok(!on.text.includes(SECRET));
  // What Python's requests sends for a bool.
  assert.ok((await getJson(app, `/v1/agents/${id('%1')}/screen?redact=False`)).body.text.includes(SECRET));
  assert.ok(!(await getJson(app, `/v1/agents/${id('%1')}/screen?redact=True`)).body.text.includes(SECRET));

  const bad = await getJson(app, `/v1/agents/${id('%1')}/screen?redact=maybe`);
  assert.equal(bad.res.statusCode, 400);
  assert.match(bad.res.body, /redact/);
});
