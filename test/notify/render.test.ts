import assert from 'node:assert/strict';
import { test } from 'node:test';
import { render, summarize, targetUrl } from '../../src/notify/render.ts';
import { HookSchema } from '../../src/notify/schemas.ts';
import { agent, SECRET } from './helpers.ts';

const hook = (over: Record<string, unknown>) => HookSchema.parse({ name: 'h', url: 'https://example.org/x', secret: SECRET, ...over });
const at = new Date('2026-12-06T01:02:03.000Z');
const transition = { from: 'working' as const, to: 'waiting' as const, at: '2026-12-06T01:02:00.000Z' };

test('the summary says kind, target, state and evidence in one line', () => {
  assert.equal(summarize(agent()), 'claude-code in work:2.0 is waiting: Do you want to proceed?');
  assert.equal(summarize(agent({ state: 'rate_limited', detail: { rule: 'r', evidence: '', confidence: 1 } })), 'claude-code in work:2.0 is rate limited');
  const long = summarize(agent({ detail: { rule: 'r', evidence: `a\n${'x'.repeat(500)}`, confidence: 1 } }));
  assert.ok(long.length < 260 && !long.includes('\n') && long.endsWith('…'), long);
});

test('json: a Standard Webhooks payload with the agent, the transition and the summary', () => {
  const r = render(hook({ format: 'json' }), agent(), transition, at);
  assert.equal(r.contentType, 'application/json');
  const body = JSON.parse(r.body);
  assert.equal(body.type, 'agent.state_changed');
  assert.equal(body.timestamp, at.toISOString());
  assert.deepEqual(body.data.transition, transition);
  assert.equal(body.data.agent.id, 'mon-a-1a2b3c4d-p1');
  assert.equal(body.data.summary, 'claude-code in work:2.0 is waiting: Do you want to proceed?');
});

test('slack: an incoming-webhook body with text and blocks, the pane text escaped', () => {
  const h = hook({ format: 'slack', url: 'https://hooks.slack.com/services/T0/B0/tok' });
  const body = JSON.parse(render(h, agent({ detail: { rule: 'r', evidence: 'Allow <script> & more?', confidence: 1 } }), transition, at).body);
  assert.equal(body.text, 'claude-code in work:2.0 is waiting: Allow <script> & more?');
  assert.equal(body.blocks[0].type, 'section');
  assert.match(body.blocks[0].text.text, /:raising_hand: \*claude-code\* in `work:2\.0` is \*waiting\*/);
  assert.equal(body.blocks[1].text.type, 'plain_text');
  assert.equal(body.blocks[1].text.text, 'Allow <script> & more?');
  assert.match(body.blocks[2].elements[0].text, /mon-a · mon-a-1a2b3c4d-p1 · rule r/);
  assert.equal(targetUrl(h), 'https://hooks.slack.com/services/T0/B0/tok');
});

test('ntfy: title, priority and tags, posted as JSON to the server root with the topic in the body', () => {
  const h = hook({ format: 'ntfy', url: 'https://ntfy.example.org/base/agents-%C3%A9?auth=tok' });
  const body = JSON.parse(render(h, agent(), transition, at).body);
  assert.deepEqual(body, {
    topic: 'agents-é',
    title: 'claude-code waiting in work:2.0',
    message: 'claude-code in work:2.0 is waiting: Do you want to proceed?',
    priority: 4,
    tags: ['raising_hand', 'claude-code', 'mon-a'],
  });
  assert.equal(targetUrl(h), 'https://ntfy.example.org/base/?auth=tok');
  const exited = JSON.parse(render(h, agent({ state: 'exited' }), { ...transition, to: 'exited' }, at).body);
  assert.equal(exited.priority, 2);
});
