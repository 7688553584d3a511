#!/usr/bin/env node
'use strict';
// Lists import cycles among relative imports (type-only ones included) under each folder given:
//   node scripts/import-cycles.js packages/core/src [more folders]; exit status 1 if any.
const fs = require('node:fs');
const path = require('node:path');
for (const arg of process.argv.slice(2)) check(path.resolve(arg));
function check(root) {
  const files = [];
  (function walk(d) {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ts$/.test(e.name) && !/\.d\.ts$/.test(e.name)) files.push(p);
    }
  })(root);
  const graph = new Map();
  const re = /(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;
  function resolve(from, spec) {
    const base = path.resolve(path.dirname(from), spec);
    for (const c of [base + '.ts', path.join(base, 'index.ts'), base.replace(/\.js$/, '.ts')]) if (fs.existsSync(c)) return c;
    return null;
  }
  for (const f of files) {
    const src = fs.readFileSync(f, 'utf8');
    const deps = new Set();
    for (const m of src.matchAll(re)) { const r = resolve(f, m[1] || m[2]); if (r) deps.add(r); }
    graph.set(f, [...deps]);
  }
  // Tarjan SCC
  let idx = 0; const st = [], on = new Set(), ix = new Map(), low = new Map(), sccs = [];
  function sc(v) {
    ix.set(v, idx); low.set(v, idx); idx++; st.push(v); on.add(v);
    for (const w of graph.get(v) || []) {
      if (!ix.has(w)) { sc(w); low.set(v, Math.min(low.get(v), low.get(w))); }
      else if (on.has(w)) low.set(v, Math.min(low.get(v), ix.get(w)));
    }
    if (low.get(v) === ix.get(v)) { const c = []; let w; do { w = st.pop(); on.delete(w); c.push(w); } while (w !== v); if (c.length > 1 || (graph.get(v) || []).includes(v)) sccs.push(c); }
  }
  for (const f of files) if (!ix.has(f)) sc(f);
  for (const c of sccs) {
    console.log('cycle group:');
    const set = new Set(c);
    for (const f of c) console.log('  ', path.relative(root, f), '->', (graph.get(f) || []).filter((d) => set.has(d)).map((d) => path.relative(root, d)).join(', '));
  }
  console.log(files.length + ' files, ' + sccs.length + ' cycle group(s)');
  if (sccs.length) process.exitCode = 1;
}
