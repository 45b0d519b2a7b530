import { ControlParser as NewP } from '../src/tmux/parser.ts';
import { ControlParser as OldP } from './old-parser.ts';
let text = '';
for (let i = 0; i < 1000; i++) { text += `%begin 1700000000 ${i} 1\n`; for (let l = 1; l <= 60; l++) text += `${l}\n`; text += `%end 1700000000 ${i} 1\n`; }
const sealed = text + `%begin 1700000000 1000 1\nabcdef0123456789\n%end 1700000000 1000 1\n`;
const buf = Buffer.from(text), sbuf = Buffer.from(sealed);
const chunks = (b: Buffer) => { const out = []; for (let i = 0; i < b.length; i += 65536) out.push(b.subarray(i, i + 65536)); return out; };
function runOld() { const p = new OldP(); let n = 0; for (const c of chunks(buf)) n += p.feed(c).length; return n; }
function runNew() { const p = new NewP(); p.expectGroup(1000, 'abcdef0123456789'); let n = 0; for (const c of chunks(sbuf)) n += p.feed(c).length; return n; }
for (const [name, fn] of [['old', runOld], ['new', runNew], ['old', runOld], ['new', runNew]] as const) {
  const t0 = performance.now(); let n = 0; for (let r = 0; r < 20; r++) n = fn(); console.log(name, ((performance.now() - t0) / 20).toFixed(2), 'ms/batch', n);
}
