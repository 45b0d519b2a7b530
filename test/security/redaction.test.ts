// Redaction against a corpus: every secret masked, no look-alike changed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { redact } from '../../src/detect/redact.ts';

function corpus(name: string): string[] {
  return readFileSync(new URL(`../fixtures/secrets/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '' && !line.startsWith('##'));
}

/** A secret line without its markers, and the marked parts that must not survive. */
function secretCase(marked: string): { line: string; secrets: string[] } {
  const secrets = [...marked.matchAll(/«([^»]+)»/g)].map((m) => m[1]!);
  return { line: marked.replaceAll(/[«»]/g, ''), secrets };
}

test('the corpus holds at least 50 secrets and 50 look-alike benign lines', () => {
  assert.ok(corpus('secrets.txt').length >= 50);
  assert.ok(corpus('benign.txt').length >= 50);
  for (const marked of corpus('secrets.txt')) assert.ok(secretCase(marked).secrets.length > 0, `no marked secret: ${marked}`);
});

test('every secret of the corpus is masked', () => {
  const leaks: string[] = [];
  for (const marked of corpus('secrets.txt')) {
    const { line, secrets } = secretCase(marked);
    const out = redact(line);
    for (const secret of secrets) if (out.includes(secret)) leaks.push(`${line}  →  ${out}`);
    if (!out.includes('[redacted]')) leaks.push(`no mask: ${out}`);
  }
  assert.deepEqual(leaks, []);
});

test('no benign line of the corpus is changed', () => {
  const changed = corpus('benign.txt').flatMap((line) => (redact(line) === line ? [] : [`${line}  →  ${redact(line)}`]));
  assert.deepEqual(changed, []);
});

test('a private-key block on a screen is masked from its first line to its last', () => {
  const screen = [
    '$ cat id_rsa',
    '-----BEGIN RSA PRIVATE KEY-----',
    'MIIEowIBAAKCAQEA7x9kL2mN3pQ4rS5tU6vW7xY8zA9bC0dE1fG2hI3jK4lM5nO6',
    'pQ7rS8tU9vW0xY1zA2bC3dE4fG5hI6jK7lM8nO9pQ0rS1tU2vW3xY4zA5bC6dE7f',
    '-----END RSA PRIVATE KEY-----',
    '$ ',
  ].join('\n');
  const out = redact(screen);
  assert.ok(!out.includes('MIIEowIBAAKCAQEA'));
  assert.ok(!out.includes('pQ7rS8tU9vW0'));
  assert.ok(out.startsWith('$ cat id_rsa\n'));
  assert.ok(out.endsWith('\n$ '));
});

test('the same line redacts the same way every time (memoised lines included)', () => {
  const line = 'user@host:~$ aws_secret_access_key=Zx9fQ2mB7vK4pL1sT8wR3yN6cH0jD5gE2aU9iO4q';
  const first = redact(line);
  assert.equal(redact(line), first);
  assert.ok(first.startsWith('user@host:~$ ') && first.includes('[redacted]'));
  assert.ok(!first.includes('Zx9fQ2mB7vK4pL1sT8wR3yN6cH0jD5gE2aU9iO4q'));
});
