#!/usr/bin/env node
'use strict';
/**
 * Summarises V8 CPU profiles (`.cpuprofile`, written by `npm run bench -- --profile` through each
 * instance's inspector): self time by package and by function, and optionally the inclusive time
 * of functions matching a pattern.
 *
 *   node bench/profile-summary.js bench/results/profiles/library-r1-send-5000 [--top=25] [--match=regex]
 *                                 [--callers=regex [--depth=6]]  (stacks under which matching
 *                                                      functions run, depth frames up)
 *                                 [--blocks=regex]    (longest stretches with a matching frame on
 *                                                      the stack: event-loop stalls it causes)
 *
 * Each argument is a .cpuprofile file or a directory holding some; several are summed.
 */
const fs = require('node:fs');
const path = require('node:path');

function files(arg) {
  const stat = fs.statSync(arg);
  if (!stat.isDirectory()) return [arg];
  return fs
    .readdirSync(arg)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(arg, f));
}

/** Where a function lives: a package, the library, Node's internals, or V8's pseudo-nodes. */
function owner(url, name) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const dist = url.indexOf('/dist/lib/');
  if (dist >= 0) return 'library (dist/lib)';
  const bench = url.indexOf('/bench/');
  if (bench >= 0) return 'bench harness';
  return url.replace(/^file:\/\//, '');
}

function summarise(paths, { top, match, callers, blocks, depth }) {
  const stacks = new Map();
  const stretches = [];
  const selfByFn = new Map();
  const selfByOwner = new Map();
  const inclusive = new Map();
  let total = 0;
  for (const file of paths) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
    // Samples under the harness's own profiler calls are artifacts of measuring: left out.
    const artifact = new Map();
    const isArtifact = (id) => {
      if (artifact.has(id)) return artifact.get(id);
      const name = byId.get(id).callFrame.functionName;
      const p = parent.get(id);
      const value =
        name === 'profileStart' || name === 'profileStop' || (p !== undefined && isArtifact(p));
      artifact.set(id, value);
      return value;
    };
    if (blocks) {
      // Contiguous stretches of samples whose stack holds a matching frame: event-loop stalls.
      const onStack = new Map();
      const matches = (id) => {
        if (onStack.has(id)) return onStack.get(id);
        const f = byId.get(id).callFrame;
        const p = parent.get(id);
        const value = blocks.test(`${f.functionName} ${f.url}`) || (p !== undefined && matches(p));
        onStack.set(id, value);
        return value;
      };
      let t = profile.startTime;
      let open;
      profile.samples.forEach((id, i) => {
        t += profile.timeDeltas[i] || 0;
        if (matches(id)) {
          open ??= {
            file: path.basename(path.dirname(file)) + '/' + path.basename(file),
            at: t,
            until: t,
          };
          open.until = t + (profile.timeDeltas[i + 1] || 0);
        } else if (open) {
          stretches.push({ ...open, offset: (open.at - profile.startTime) / 1e6 });
          open = undefined;
        }
      });
      if (open) stretches.push({ ...open, offset: (open.at - profile.startTime) / 1e6 });
    }
    const self = new Map();
    profile.samples.forEach((id, i) => {
      if (isArtifact(id)) return;
      const dt = profile.timeDeltas[i] || 0;
      self.set(id, (self.get(id) || 0) + dt);
    });
    for (const [id, us] of self) {
      const node = byId.get(id);
      const { functionName, url, lineNumber } = node.callFrame;
      const name = functionName || '(anonymous)';
      if (name === '(idle)') continue;
      total += us;
      const key = `${name}  ${url ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|bench)\//, '$1/')}:${lineNumber + 1}` : ''}`;
      selfByFn.set(key, (selfByFn.get(key) || 0) + us);
      const o = owner(url, name);
      selfByOwner.set(o, (selfByOwner.get(o) || 0) + us);
      if (callers && callers.test(key)) {
        // The stacks (`depth` frames up) under which a matching function spends its self time.
        const frames = [];
        for (
          let cur = parent.get(id), d = 0;
          cur !== undefined && d < depth;
          cur = parent.get(cur), d++
        ) {
          const f = byId.get(cur).callFrame;
          frames.push(
            `${f.functionName || '(anonymous)'}@${(f.url || '').split('/').slice(-2).join('/')}:${f.lineNumber + 1}`,
          );
        }
        const stack = `${name} <- ${frames.join(' <- ')}`;
        stacks.set(stack, (stacks.get(stack) || 0) + us);
      }
      if (match) {
        // Inclusive time: charge every distinct matching frame on this sample's stack once.
        const charged = new Set();
        for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
          const f = byId.get(cur).callFrame;
          const label = `${f.functionName || '(anonymous)'}  ${(f.url || '').replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(dist|bench)\//, '$1/')}`;
          if (match.test(label) && !charged.has(label)) {
            charged.add(label);
            inclusive.set(label, (inclusive.get(label) || 0) + us);
          }
        }
      }
    }
  }
  const pct = (us) => `${((100 * us) / total).toFixed(1).padStart(5)}%`;
  const ms = (us) => `${(us / 1000).toFixed(0).padStart(7)} ms`;
  const lines = [
    `busy CPU (idle excluded): ${(total / 1e6).toFixed(2)} s over ${paths.length} profile(s)`,
    '',
    'self time by owner:',
  ];
  for (const [k, v] of [...selfByOwner].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  lines.push('', 'self time by function:');
  for (const [k, v] of [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, top))
    lines.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  if (match) {
    lines.push('', `inclusive time of frames matching ${match}:`);
    for (const [k, v] of [...inclusive].sort((a, b) => b[1] - a[1]).slice(0, top))
      lines.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  }
  if (blocks) {
    lines.push('', `longest uninterrupted stretches with ${blocks} on the stack:`);
    for (const b of stretches.sort((x, y) => y.until - y.at - (x.until - x.at)).slice(0, top)) {
      lines.push(`  ${ms(b.until - b.at)}  at +${b.offset.toFixed(2)} s  ${b.file}`);
    }
  }
  if (callers) {
    lines.push('', `stacks of functions matching ${callers}:`);
    for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, top))
      lines.push(`  ${pct(v)} ${ms(v)}  ${k}`);
  }
  return lines.join('\n');
}

const args = process.argv.slice(2);
const opts = { top: 25, match: undefined, callers: undefined, blocks: undefined, depth: 6 };
const inputs = [];
for (const arg of args) {
  if (arg.startsWith('--top=')) opts.top = Number(arg.slice(6));
  else if (arg.startsWith('--match=')) opts.match = new RegExp(arg.slice(8));
  else if (arg.startsWith('--callers=')) opts.callers = new RegExp(arg.slice(10));
  else if (arg.startsWith('--blocks=')) opts.blocks = new RegExp(arg.slice(9));
  else if (arg.startsWith('--depth=')) opts.depth = Number(arg.slice(8));
  else inputs.push(arg);
}
if (inputs.length === 0) {
  console.error(
    'usage: node bench/profile-summary.js <profile or dir>... [--top=25] [--match=regex]',
  );
  process.exit(1);
}
console.log(summarise(inputs.flatMap(files), opts));
