// Compiled patterns, cached: profiles are data, and the same few hundred patterns run on every cycle.
const cache = new Map<string, RegExp>();

export function compile(pattern: string, flags = ''): RegExp {
  const key = `${flags}/${pattern}`;
  let re = cache.get(key);
  if (!re) {
    if (cache.size > 5000) cache.clear(); // profiles reloaded many times: drop patterns no longer used
    re = new RegExp(pattern, flags);
    cache.set(key, re);
  }
  return re;
}
