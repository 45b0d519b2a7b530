// Decides which change-stream events become notifications: only agents this monitor owns, transitions that
// pass a hook's filters, states that held for its afterMs, and not again within its cooldown.
import type { Transition } from './render.ts';
import type { Hook } from './schemas.ts';
import type { NotifiedAgent, NotifyEvent } from './source.ts';

export interface TriggerOptions {
  monitor: string;
  hooks(): Hook[];
  fire(hook: Hook, agent: NotifiedAgent, transition: Transition): void;
  suppressed(hook: Hook, agent: NotifiedAgent): void;
  now?: () => number;
}

export function matchesFilters(hook: Hook, agent: NotifiedAgent): boolean {
  return (
    (!hook.states || hook.states.includes(agent.state)) &&
    (!hook.kinds || hook.kinds.includes(agent.kind)) &&
    (!hook.sessions || hook.sessions.includes(agent.session)) &&
    (!hook.monitors || hook.monitors.includes(agent.monitor))
  );
}

interface Tracked {
  agent: NotifiedAgent;
  transition: Transition;
  /** afterMs timers by hook name. */
  timers: Map<string, NodeJS.Timeout>;
}

export class Trigger {
  private readonly agents = new Map<string, Tracked>();
  /** `hook\0agent\0state` → until when that notification is in cooldown (epoch ms). */
  private readonly cooldowns = new Map<string, number>();
  private readonly now: () => number;

  constructor(private readonly opts: TriggerOptions) {
    this.now = opts.now ?? Date.now;
  }

  handle(event: NotifyEvent): void {
    if (event.type === 'removed') return this.forget(event.id);
    if (event.type !== 'agent' || event.agent.monitor !== this.opts.monitor) return;
    const { agent, from } = event;
    const tracked = this.agents.get(agent.id);
    if (tracked?.agent.state === agent.state && tracked.agent.stateSince === agent.stateSince) {
      // The same state episode: a change of screen only, or a change published again (made while Redis was
      // away, then written back). Same news, freshly described.
      tracked.agent = agent;
      return;
    }
    const transition = { from, to: agent.state, at: agent.stateSince };
    // An agent first seen in the middle of a state: its transition happened before we listened.
    if (from === agent.state) this.track(agent, transition);
    else this.transitioned(agent, transition);
  }

  close(): void {
    for (const id of [...this.agents.keys()]) this.forget(id);
  }

  private track(agent: NotifiedAgent, transition: Transition): Tracked {
    this.forget(agent.id);
    const tracked: Tracked = { agent, transition, timers: new Map() };
    this.agents.set(agent.id, tracked);
    return tracked;
  }

  private transitioned(agent: NotifiedAgent, transition: Transition): void {
    const tracked = this.track(agent, transition);
    for (const hook of this.opts.hooks()) {
      if (!matchesFilters(hook, agent)) continue;
      const wait = Date.parse(agent.stateSince) + hook.afterMs - this.now();
      if (hook.afterMs === 0 || wait <= 0) this.fireUnlessCooling(hook, agent, transition);
      else tracked.timers.set(hook.name, this.timer(wait, () => this.held(agent.id, hook.name, transition)));
    }
  }

  private timer(ms: number, fn: () => void): NodeJS.Timeout {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  }

  /** The state held for the hook's afterMs: fire with the agent as it is now, if the hook still wants it. */
  private held(id: string, hookName: string, transition: Transition): void {
    const tracked = this.agents.get(id);
    if (!tracked || tracked.transition !== transition) return;
    tracked.timers.delete(hookName);
    const hook = this.opts.hooks().find((h) => h.name === hookName);
    if (hook && matchesFilters(hook, tracked.agent)) this.fireUnlessCooling(hook, tracked.agent, transition);
  }

  private fireUnlessCooling(hook: Hook, agent: NotifiedAgent, transition: Transition): void {
    const key = `${hook.name}\0${agent.id}\0${agent.state}`;
    const now = this.now();
    if ((this.cooldowns.get(key) ?? 0) > now) return this.opts.suppressed(hook, agent);
    if (hook.cooldownMs > 0) this.coolDown(key, now + hook.cooldownMs, now);
    this.opts.fire(hook, agent, transition);
  }

  private coolDown(key: string, until: number, now: number): void {
    this.cooldowns.set(key, until);
    if (this.cooldowns.size % 1024 !== 0) return;
    for (const [k, u] of this.cooldowns) if (u <= now) this.cooldowns.delete(k);
  }

  private forget(id: string): void {
    const tracked = this.agents.get(id);
    if (!tracked) return;
    for (const t of tracked.timers.values()) clearTimeout(t);
    this.agents.delete(id);
  }
}
