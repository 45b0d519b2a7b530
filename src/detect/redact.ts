// Secrets never leave detection: evidence lines are redacted before they reach detail, traces or logs.

const RULES: Array<[RegExp, string]> = [
  [/\bBearer\s+[A-Za-z0-9._~+/=-]{6,}/gi, 'Bearer [redacted]'],
  [/\b(sk|pk|rk)-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{8,}/g, '$1-[redacted]'],
  [/\b(gh[pousr]_|github_pat_|glpat-|xox[abpors]-|AIza|ya29\.)[A-Za-z0-9_.-]{8,}/g, '$1[redacted]'],
  [/\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/g, '[redacted-jwt]'],
  [/\b(AKIA|ASIA)[A-Z0-9]{12,}/g, '$1[redacted]'],
  [
    /\b([A-Za-z_-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|auth|authorization|credentials?))\b(\s*[=:]\s*)(?!Bearer\b|\[redacted)("[^"]*"|'[^']*'|[^\s"']{6,})/gi,
    '$1$2[redacted]',
  ],
];

export function redact(text: string): string {
  let out = text;
  for (const [re, replacement] of RULES) out = out.replace(re, replacement);
  return out;
}
