import { ControlParser } from '../src/tmux/parser.ts';
const p = new ControlParser();
p.expectGroup(1, 'a40b9c85b95c0d7d');
console.log(JSON.stringify(p.feed("%begin 1796521473 270 1\nhello\n\n%end 1796521473 270 1\n%begin 1796521473 271 1\na40b9c85b95c0d7d\n%end 1796521473 271 1\n")));
