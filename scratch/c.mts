import { ControlClient } from '/work/wt/defects/src/tmux/client.ts';
import { captureCommand } from '/work/wt/defects/src/tmux/queries.ts';
const c = await ControlClient.connect({ socket: '/tmp/dfx/t-kIiX/s', session: '$0', commandTimeoutMs: 3000 });
(c as any).child.stdout.on('data', (d: Buffer) => process.stderr.write('RAW ' + JSON.stringify(d.toString())+'\n'));
try { console.log(await c.run(captureCommand('%0'))); } catch (e) { console.log('ERR', e); }
await c.close();
