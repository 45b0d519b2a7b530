// Compiled patterns, cached: profiles are data, and the same few hundred patterns run on every cycle.
// Keyed by the pattern string itself (the profile's own string, whose hash V8 keeps), then by flags.
const cache = new Map<string, Map<string, RegExp>>();

export function compile(pattern: string, flags = ''): RegExp {
  let byFlags = cache.get(pattern);
  if (!byFlags) {
    if (cache.size > 5000) cache.clear(); // profiles reloaded many times: drop patterns no longer used
    byFlags = new Map();
    cache.set(pattern, byFlags);
  }
  let re = byFlags.get(flags);
  if (!re) {
    re = new RegExp(pattern, flags);
    byFlags.set(flags, re);
  }
  return re;
}
