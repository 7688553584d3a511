#!/usr/bin/env node
// Checks (or with --fix, rewrites) the C++ sources against .clang-format, using the clang-format
// binary shipped in the clang-format npm package so no system package is needed.
'use strict';
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const bin = path.join(path.dirname(require.resolve('clang-format/package.json')), 'index.js');
const fix = process.argv.includes('--fix');

function sources(dir) {
  const out = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(p));
    else if (/\.(cc|h)$/.test(entry.name)) out.push(p);
  }
  return out;
}

let bad = 0;
for (const file of sources(path.join(root, 'native', 'src'))) {
  const want = execFileSync(process.execPath, [bin, '-style=file', file], { cwd: root, encoding: 'utf8' });
  if (want === fs.readFileSync(file, 'utf8')) continue;
  if (fix) {
    fs.writeFileSync(file, want);
  } else {
    console.error(`not formatted: ${path.relative(root, file)} (run: npm run format)`);
    bad++;
  }
}
process.exit(bad ? 1 : 0);
