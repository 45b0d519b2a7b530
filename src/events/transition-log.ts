// One info line per state transition of this monitor's agents, read off the change stream.
import type { FastifyBaseLogger } from 'fastify';
import type { ChangeStream, StreamItem } from './schemas.ts';

/**
 * Logs `agent, target, from → to, rule` once per transition. A change made while Redis was away is published
 * again when Redis is back (same version and state): the version logged per agent keeps that to one line.
 */
export function logTransitions(stream: ChangeStream, monitor: string, log: FastifyBaseLogger): () => void {
  const logged = new Map<string, string>();
  return stream.subscribe(null, (item: StreamItem) => {
    if (item.type === 'removed') {
      logged.delete(item.id);
      return;
    }
    if (item.type !== 'agent' || item.agent.monitor !== monitor || item.from === item.agent.state) return;
    const { id, target, state, version, detail } = item.agent;
    const key = `${version}\0${state}`;
    if (logged.get(id) === key) return;
    logged.set(id, key);
    log.info(
      { agent: id, target, from: item.from, to: state, rule: detail.rule, version },
      `transition ${target} ${item.from ?? '(new)'} → ${state} (${detail.rule})`,
    );
  });
}
