import { freshDatabase, load, SCENARIOS, startTarget } from '/work/main/dist/bench/support/ingest-load.js';
import { readdirSync, readFileSync, rmSync, mkdirSync } from 'node:fs';
rmSync('/tmp/prof', { recursive: true, force: true }); mkdirSync('/tmp/prof');
const database = await freshDatabase('sqlite');
const target = await startTarget(process.argv[2] ?? 'project', database.url, { nodeArgs: ['--cpu-prof', '--cpu-prof-dir=/tmp/prof'], checkout: '/tmp/base' });
const scenario = SCENARIOS[Number(process.argv[3] ?? 0)];
await load(target.url, scenario, { amount: 2000 });
const r = await load(target.url, scenario, { duration: 8 });
console.log('req/s', r.requests.total / 8);
await target.stop(); await database.drop();
await new Promise(r => setTimeout(r, 1000));
const file = readdirSync('/tmp/prof')[0];
const p = JSON.parse(readFileSync('/tmp/prof/' + file, 'utf8'));
const self = new Map(); const byId = new Map(p.nodes.map(n => [n.id, n]));
const dt = new Map(); p.samples.forEach((s, i) => dt.set(s, (dt.get(s) ?? 0) + p.timeDeltas[i]));
for (const [id, t] of dt) { const n = byId.get(id); const k = `${n.callFrame.functionName} ${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) ?? 0) + t); }
const total = [...self.values()].reduce((a, b) => a + b, 0);
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, t]) => `${(t / total * 100).toFixed(1)}% ${k}`).join('\n'));
