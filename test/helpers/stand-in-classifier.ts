// A stand-in classifier for loop and API tests: no agent knowledge, only pane liveness and whether the screen
// moves, so those tests hold still while detection profiles change (test/detect tests the real detector).
import type { Classification, ClassifyInput, Classifier } from '../../src/detect/types.ts';

const SHELLS = new Set(['bash', 'zsh', 'fish', 'sh', 'dash', 'ksh', 'tcsh', 'csh', 'nu', 'elvish']);

export function createStandInClassifier(opts: { idleAfterMs: number }): Classifier {
  return {
    classify({ pane, screenChangedAt, now }: ClassifyInput): Classification {
      const kind = SHELLS.has(pane.currentCommand.replace(/^-/, '')) ? 'shell' : 'program';
      if (pane.dead) {
        const status = pane.deadStatus ?? 0;
        return {
          kind,
          state: status === 0 ? 'exited' : 'crashed',
          detail: { rule: 'stand-in.pane-dead', evidence: `pane exited with status ${status}`, confidence: 1 },
        };
      }
      const quietMs = now - screenChangedAt;
      if (quietMs < opts.idleAfterMs) {
        return { kind, state: 'working', detail: { rule: 'stand-in.screen-changing', evidence: `screen changed within ${opts.idleAfterMs} ms`, confidence: 0.5 } };
      }
      return { kind, state: 'idle', detail: { rule: 'stand-in.screen-still', evidence: `screen still for over ${opts.idleAfterMs} ms`, confidence: 0.5 } };
    },
    forget() {},
  };
}
