import { ControlParser as NewP } from '../src/tmux/parser.ts';
let text = '';
for (let i = 0; i < 1000; i++) { text += `%begin 1700000000 ${i} 1\n`; for (let l = 1; l <= 60; l++) text += `${l}\n`; text += `%end 1700000000 ${i} 1\n`; }
const sbuf = Buffer.from(text + `%begin 1700000000 1000 1\nabcdef0123456789\n%end 1700000000 1000 1\n`);
const chunks = (b: Buffer) => { const out = []; for (let i = 0; i < b.length; i += 65536) out.push(b.subarray(i, i + 65536)); return out; };
const t0 = performance.now();
for (let r = 0; r < 100; r++) { const p = new NewP(); p.expectGroup(1000, 'abcdef0123456789'); for (const c of chunks(sbuf)) p.feed(c); }
console.log((performance.now() - t0) / 100);
