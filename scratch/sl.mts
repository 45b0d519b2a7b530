import { lintSource } from '@secretlint/core';
import { creator } from '@secretlint/secretlint-rule-preset-recommend';
const samples = [
 'export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY',
 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY2',
 'postgres://admin:hunter2pass@db.example.com:5432/app',
 'https://user:s3cretpw@example.com/repo.git',
 'Authorization: Basic dXNlcjpwYXNzd29yZA==',
 '-----BEGIN RSA PRIVATE KEY-----',
 'secret_key_base=3b7c0e1a9f2d4c6b8a0e2f4d6c8b0a2e4f6d8c0b',
 'https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX',
 'npm_abcdefghijklmnopqrstuvwxyz0123456789',
 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
 'hf_abcdefghijklmnopqrstuvwxyzABCDEFGH',
 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789',
 'xoxb-123456789012-1234567890123-abcdefghijABCDEFGHIJklmn',
 'AKIAIOSFODNN7EXAMPLE',
];
const t0 = performance.now();
for (const s of samples) {
  const r = await lintSource({ source: { content: s, filePath: '/x.txt', contentType: 'text' }, options: { config: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: creator }] }, maskSecrets: false } });
  console.log(r.messages.length ? 'HIT ' : 'miss', s, r.messages.map(m => m.ruleId + ':' + JSON.stringify(m.range)).join(' '));
}
console.log('ms', performance.now() - t0);
