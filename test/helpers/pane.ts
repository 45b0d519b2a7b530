// A tmux pane as PaneInfo, with sensible defaults (a live bash pane); a test names only the fields it cares about.
import type { PaneInfo } from '../../src/tmux/types.ts';

export function pane(over: Partial<PaneInfo> = {}): PaneInfo {
  return {
    socket: '/tmp/tmux-test/sock',
    serverPid: 1,
    sessionId: '$1',
    sessionName: 'work',
    windowId: '@1',
    windowIndex: 0,
    windowName: 'agent',
    paneId: '%1',
    paneIndex: 0,
    panePid: 4242,
    currentCommand: 'bash',
    dead: false,
    deadStatus: null,
    windowActivity: 0,
    width: 100,
    height: 30,
    title: '',
    active: true,
    ...over,
  };
}
