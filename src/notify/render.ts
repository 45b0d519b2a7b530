// The body of a notification in each format: signed JSON for programs, Slack and ntfy messages for people.
import type { Hook } from './schemas.ts';
import type { NotifiedAgent } from './source.ts';

export interface Transition {
  from: NotifiedAgent['state'] | null;
  to: NotifiedAgent['state'];
  at: string;
}

/** A notification's body; the URL is not part of it, so a stored delivery never holds a token of the URL. */
export interface Rendered {
  contentType: string;
  body: string;
}

const EVIDENCE_MAX = 200;

/** `claude-code in work:2.0 is waiting: Do you want to proceed?` */
export function summarize(agent: NotifiedAgent): string {
  const evidence = agent.detail.evidence.trim().replace(/\s+/g, ' ');
  const shown = evidence.length > EVIDENCE_MAX ? `${evidence.slice(0, EVIDENCE_MAX - 1)}…` : evidence;
  return `${agent.kind} in ${agent.target} is ${agent.state.replace('_', ' ')}${shown ? `: ${shown}` : ''}`;
}

/** The Standard Webhooks event type of a transition. */
export const EVENT_TYPE = 'agent.state_changed';

export function render(hook: Hook, agent: NotifiedAgent, transition: Transition, now: Date): Rendered {
  switch (hook.format) {
    case 'json':
      return { contentType: 'application/json', body: JSON.stringify(jsonBody(agent, transition, now)) };
    case 'slack':
      return { contentType: 'application/json', body: JSON.stringify(slackBody(agent)) };
    case 'ntfy':
      return { contentType: 'application/json', body: JSON.stringify(ntfyBody(hook.url, agent)) };
  }
}

/**
 * Where a hook's deliveries go. ntfy's JSON publishing posts to the server root with the topic in the body
 * (rather than its headers form, because headers cannot carry the non-ASCII text a pane shows); the hook's url
 * is the topic URL people know.
 */
export function targetUrl(hook: Hook): string {
  if (hook.format !== 'ntfy') return hook.url;
  const url = new URL(hook.url);
  url.pathname = `/${ntfyPath(url).base.map((s) => `${s}/`).join('')}`;
  return url.toString();
}

function ntfyPath(url: URL): { base: string[]; topic: string } {
  const segments = url.pathname.split('/').filter(Boolean);
  const topic = segments.pop() ?? '';
  return { base: segments, topic: decodeURIComponent(topic) };
}

function jsonBody(agent: NotifiedAgent, transition: Transition, now: Date) {
  return { type: EVENT_TYPE, timestamp: now.toISOString(), data: { summary: summarize(agent), transition, agent } };
}

/** Slack incoming webhook: `text` is the notification and fallback; the blocks show the same, laid out. */
function slackBody(agent: NotifiedAgent) {
  const text = summarize(agent);
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${STATE_EMOJI[agent.state] ?? ''} *${escapeSlack(agent.kind)}* in \`${escapeSlack(agent.target)}\` is *${agent.state.replace('_', ' ')}*` } },
      ...(agent.detail.evidence ? [{ type: 'section', text: { type: 'plain_text', text: agent.detail.evidence.slice(0, 2900) } }] : []),
      { type: 'context', elements: [{ type: 'mrkdwn', text: escapeSlack(`${agent.monitor} · ${agent.id} · rule ${agent.detail.rule}`) }] },
    ],
  };
}

const escapeSlack = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const STATE_EMOJI: Partial<Record<NotifiedAgent['state'], string>> = {
  waiting: ':raising_hand:',
  error: ':warning:',
  rate_limited: ':hourglass:',
  stuck: ':turtle:',
  crashed: ':boom:',
  exited: ':checkered_flag:',
  idle: ':zzz:',
  working: ':hammer:',
};

/** Priority 1..5 (ntfy's scale): a human is needed now, or soon, or it is only news. */
const NTFY_PRIORITY: Partial<Record<NotifiedAgent['state'], number>> = {
  waiting: 4,
  error: 4,
  crashed: 4,
  stuck: 4,
  rate_limited: 3,
  idle: 3,
  exited: 2,
  working: 2,
  starting: 2,
};

const NTFY_TAGS: Partial<Record<NotifiedAgent['state'], string>> = {
  waiting: 'raising_hand',
  error: 'warning',
  crashed: 'boom',
  stuck: 'turtle',
  rate_limited: 'hourglass',
  idle: 'zzz',
  exited: 'checkered_flag',
  working: 'hammer',
};

function ntfyBody(topicUrl: string, agent: NotifiedAgent) {
  return {
    topic: ntfyPath(new URL(topicUrl)).topic,
    title: `${agent.kind} ${agent.state.replace('_', ' ')} in ${agent.target}`,
    message: summarize(agent),
    priority: NTFY_PRIORITY[agent.state] ?? 3,
    tags: [NTFY_TAGS[agent.state] ?? 'robot', agent.kind, agent.monitor],
  };
}
