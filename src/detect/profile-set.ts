// The loaded profiles of a detector: the built-in directory then the user's, reloaded on demand or on change,
// with a generation number that voids answers memoised under an older set.
import { watch, type FSWatcher } from 'node:fs';
import { loadProfiles, type LoadedProfile } from './profile.ts';

export interface ReloadResult {
  ok: boolean;
  errors: string[];
  profiles: string[];
}

export class ProfileSet {
  profiles = new Map<string, LoadedProfile>();
  /** Bumped on every successful reload: memoised rule answers of older profiles are void. */
  generation = 0;
  private loadedOnce = false;
  private readonly watchers: FSWatcher[] = [];
  private debounce: NodeJS.Timeout | null = null;

  constructor(
    private readonly dirs: string[],
    /** `warn` for what an operator must fix: a rejected change or a broken watch. */
    private readonly log: (msg: string, level?: 'warn') => void,
  ) {
    this.reload();
  }

  /** Re-reads every directory. At the first load the valid files are used; later, one invalid file keeps the old set. */
  reload(): ReloadResult {
    const result = loadProfiles(this.dirs);
    const names = [...result.profiles.keys()].sort();
    if (result.errors.length > 0 && this.loadedOnce) {
      for (const e of result.errors) this.log(`detection profiles rejected, keeping the previous set: ${e}`, 'warn');
      return { ok: false, errors: result.errors, profiles: [...this.profiles.keys()].sort() };
    }
    for (const e of result.errors) this.log(`detection profile error: ${e}`, 'warn');
    this.profiles = result.profiles;
    this.generation++;
    this.loadedOnce = true;
    this.log(`detection profiles loaded: ${names.join(', ')} from ${this.dirs.join(', ')}`);
    return { ok: result.errors.length === 0, errors: result.errors, profiles: names };
  }

  /** Reloads 200 ms after the last change in any directory. */
  watch(): void {
    for (const dir of this.dirs) {
      try {
        const w = watch(dir, () => this.reloadSoon());
        w.on('error', (err) => this.log(`watching ${dir} failed: ${err.message}`, 'warn'));
        this.watchers.push(w);
      } catch (err) {
        this.log(`cannot watch profile directory ${dir}: ${(err as Error).message}`, 'warn');
      }
    }
  }

  private reloadSoon(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      this.debounce = null;
      this.reload();
    }, 200);
    this.debounce.unref();
  }

  close(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = null;
    for (const w of this.watchers.splice(0)) w.close();
  }
}
