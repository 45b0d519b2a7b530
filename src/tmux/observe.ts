// Calls into a TmuxObserver: they feed metrics, and a broken observer must not break tmux access.
export function safely(fn: () => void): void {
  try {
    fn();
  } catch {
    // swallowed on purpose: see above
  }
}
