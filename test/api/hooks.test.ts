// POST /v1/hooks/*: validation names the field, HOOK_TOKEN guards hooks apart from API_TOKEN, and each source's
// events map to the documented states.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signalOf } from '../../src/hooks/signals.ts';
import type { HookPayload } from '../../src/hooks/payloads.ts';
import { paneRefOf } from '../../src/hooks/pane.ts';
import { assertBadRequestNaming, buildTestApp, TOKEN } from './helper.ts';

const HOOK_TOKEN = 'hook-token-0123456789abcdef';

function post(app: Awaited<ReturnType<typeof buildTestApp>>['app'], url: string, body: unknown, headers: Record<string, string> = {}) {
  return app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });
}

test('a payload without the fields a source needs is a 400 naming them', async (t) => {
  const { app } = await buildTestApp(t);
  assertBadRequestNaming(await post(app, '/v1/hooks/claude-code', { session_id: 'x' }), 'body.hook_event_name');
  assertBadRequestNaming(await post(app, '/v1/hooks/generic', { state: 'sleeping' }), 'body.state');
  assertBadRequestNaming(await post(app, '/v1/hooks/codex', { cwd: '/tmp' }), 'body.type');
  assertBadRequestNaming(await post(app, '/v1/hooks/gemini-cli', []), 'body');
  const unknown = await post(app, '/v1/hooks/cursor', { state: 'idle' });
  assert.equal(unknown.statusCode, 404, 'a source of its own has no route');
});

test('fields a source does not know pass; a body over the size bound is 413', async (t) => {
  const { app } = await buildTestApp(t);
  const ok = await post(app, '/v1/hooks/claude-code', { hook_event_name: 'Stop', brand_new_field: { nested: [1, 2] } });
  assert.equal(ok.statusCode, 202, ok.body);
  assert.deepEqual(ok.json(), { matched: false, state: 'idle' });
  const big = await post(app, '/v1/hooks/claude-code', { hook_event_name: 'PreToolUse', tool_input: { content: 'x'.repeat(2 * 1024 * 1024) } });
  assert.equal(big.statusCode, 413);
});

test('with HOOK_TOKEN set, hooks need it and only it; it opens nothing else', async (t) => {
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN, hookToken: HOOK_TOKEN } });
  const body = { state: 'idle' };
  assert.equal((await post(app, '/v1/hooks/generic', body)).statusCode, 401);
  assert.equal((await post(app, '/v1/hooks/generic', body, { authorization: `Bearer ${TOKEN}` })).statusCode, 401);
  const denied = await post(app, '/v1/hooks/generic', body, { authorization: 'Bearer wrong-token-000000000000' });
  assert.match(denied.json().message, /HOOK_TOKEN/);
  assert.equal((await post(app, '/v1/hooks/generic', body, { authorization: `Bearer ${HOOK_TOKEN}` })).statusCode, 202);
  const agents = await app.inject({ url: '/v1/agents', headers: { authorization: `Bearer ${HOOK_TOKEN}` } });
  assert.equal(agents.statusCode, 401, 'the hook token does not read agents');
});

test('without HOOK_TOKEN, hooks take API_TOKEN when that is set', async (t) => {
  const { app } = await buildTestApp(t, { config: { apiToken: TOKEN } });
  assert.equal((await post(app, '/v1/hooks/generic', { state: 'idle' })).statusCode, 401);
  assert.equal((await post(app, '/v1/hooks/generic', { state: 'idle' }, { authorization: `Bearer ${TOKEN}` })).statusCode, 202);
});

const cases: Array<[HookPayload, string | null, string]> = [
  [{ source: 'claude-code', body: { hook_event_name: 'UserPromptSubmit' } }, 'working', 'hook.claude-code.UserPromptSubmit'],
  [{ source: 'claude-code', body: { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'ls' } } }, 'working', 'hook.claude-code.PreToolUse'],
  [{ source: 'claude-code', body: { hook_event_name: 'PermissionRequest', tool_name: 'Bash' } }, 'waiting', 'hook.claude-code.PermissionRequest'],
  [{ source: 'claude-code', body: { hook_event_name: 'Notification', notification_type: 'permission_prompt', message: 'Claude needs your permission to use Bash' } }, 'waiting', 'hook.claude-code.Notification'],
  [{ source: 'claude-code', body: { hook_event_name: 'Notification', notification_type: 'elicitation_dialog', message: 'asks' } }, 'waiting', 'hook.claude-code.Notification'],
  [{ source: 'claude-code', body: { hook_event_name: 'Notification', notification_type: 'idle_prompt', message: 'waiting for input' } }, 'idle', 'hook.claude-code.Notification'],
  [{ source: 'claude-code', body: { hook_event_name: 'Notification', notification_type: 'auth_success', message: 'ok' } }, null, ''],
  [{ source: 'claude-code', body: { hook_event_name: 'Stop' } }, 'idle', 'hook.claude-code.Stop'],
  [{ source: 'claude-code', body: { hook_event_name: 'StopFailure', error: 'overloaded' } }, 'error', 'hook.claude-code.StopFailure'],
  [{ source: 'claude-code', body: { hook_event_name: 'StopFailure', error: 'rate_limit' } }, 'rate_limited', 'hook.claude-code.StopFailure'],
  [{ source: 'claude-code', body: { hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' } }, 'exited', 'hook.claude-code.SessionEnd'],
  [{ source: 'claude-code', body: { hook_event_name: 'SubagentStart' } }, null, ''],
  [{ source: 'codex', body: { type: 'agent-turn-complete', 'last-assistant-message': 'done' } }, 'idle', 'hook.codex.agent-turn-complete'],
  [{ source: 'codex', body: { hook_event_name: 'PermissionRequest', tool_name: 'Bash' } }, 'waiting', 'hook.codex.PermissionRequest'],
  [{ source: 'codex', body: { hook_event_name: 'UserPromptSubmit' } }, 'working', 'hook.codex.UserPromptSubmit'],
  [{ source: 'gemini-cli', body: { hook_event_name: 'BeforeAgent' } }, 'working', 'hook.gemini-cli.BeforeAgent'],
  [{ source: 'gemini-cli', body: { hook_event_name: 'Notification', notification_type: 'ToolPermission', message: 'run ls?' } }, 'waiting', 'hook.gemini-cli.Notification'],
  [{ source: 'gemini-cli', body: { hook_event_name: 'AfterAgent' } }, 'idle', 'hook.gemini-cli.AfterAgent'],
  [{ source: 'gemini-cli', body: { hook_event_name: 'SessionEnd' } }, 'exited', 'hook.gemini-cli.SessionEnd'],
  [{ source: 'generic', body: { state: 'waiting', message: 'approve?' } }, 'waiting', 'hook.generic.waiting'],
];

test('each source event maps to the documented state and rule', () => {
  for (const [payload, state, rule] of cases) {
    const signal = signalOf(payload, 0);
    assert.equal(signal?.state ?? null, state, JSON.stringify(payload));
    if (signal) assert.equal(signal.rule, rule);
  }
});

test('hook evidence is one redacted line', () => {
  const signal = signalOf({ source: 'claude-code', body: { hook_event_name: 'PreToolUse', tool_name: 'Bash', tool_input: { command: 'curl -H "Authorization: Bearer abcdef0123456789" \\\n https://x' } } }, 0);
  assert.doesNotMatch(signal!.message, /abcdef0123456789/);
  assert.doesNotMatch(signal!.message, /\n/);
});

test('the pane comes from $TMUX_PANE and $TMUX, whose socket path may hold commas', () => {
  assert.deepEqual(paneRefOf('%12', '/tmp/a,b/sock,4242,3'), { paneId: '%12', socket: '/tmp/a,b/sock', serverPid: 4242 });
  assert.deepEqual(paneRefOf('%3', ''), { paneId: '%3', socket: null, serverPid: null });
  assert.equal(paneRefOf('', '/tmp/sock,1,0'), null);
  assert.equal(paneRefOf('$TMUX_PANE', undefined), null);
});
