#!/usr/bin/env node
// Summarises a V8 .cpuprofile (node --cpu-prof): self time by package (node_modules/<name>, node:
// internals, our workspaces) and the top functions by self time.
//   node bench/lib/profile-summary.mjs <file.cpuprofile> [top=25]
import { readFileSync } from 'node:fs';

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: profile-summary.mjs <file.cpuprofile> [top]\n');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg ?? 25);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map();
for (let i = 0; i < profile.samples.length; i++) selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + (profile.timeDeltas[i] ?? 0));

function packageOf(url) {
  if (!url) return '(native / vm)';
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 13).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const workspace = url.match(/\/(services|packages)\/([^/]+)\//);
  return workspace ? `${workspace[1]}/${workspace[2]}` : url;
}

const byPackage = new Map();
const byFunction = new Map();
let total = 0;
for (const [id, us] of selfUs) {
  const { callFrame } = byId.get(id);
  total += us;
  if (callFrame.functionName === '(idle)') continue;
  const pkg = callFrame.functionName.startsWith('(') ? callFrame.functionName : packageOf(callFrame.url);
  byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
  const fn = `${callFrame.functionName || '(anonymous)'}  ${packageOf(callFrame.url)}:${callFrame.lineNumber + 1}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
}
const busy = [...byPackage.values()].reduce((a, b) => a + b, 0);
const print = (title, map) => {
  process.stdout.write(`\n${title}\n`);
  for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) process.stdout.write(`${((us / busy) * 100).toFixed(1).padStart(6)} %  ${name}\n`);
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s sampled, ${(busy / 1e6).toFixed(1)} s busy\n`);
print('self time by package (% of busy)', byPackage);
print('self time by function (% of busy)', byFunction);
