#!/usr/bin/env node
// The packages as a user gets them: `npm pack` every publishable workspace (prepack builds dist/
// and the prebuilt addon), install all the tarballs with one `npm install` in a fresh project in a
// temporary folder, on a PATH with no compiler, make or python3, then run an app of that project:
// a runtime with a tcp service (port 0, its handler in the project) and a task module from the
// project, talked to over loopback, then closed; and `npx gatio doctor --json` in that project.
//
//   node scripts/packed-install.js                 # the Node running this script
//   node scripts/packed-install.js --node 20,22,24 # each major: this one, or `npx -p node@N` (npm registry)
//   node scripts/packed-install.js --keep          # leave the temporary folder for a look
//
// Prints one `packed install: node vX ... ok` line per version and `N passed, N failed` at the end;
// exit status 1 when any version failed.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const keep = args.includes('--keep');
const nodeArg = args.includes('--node') ? args[args.indexOf('--node') + 1] : String(process.versions.node.split('.')[0]);
const majors = nodeArg.split(',').map((s) => s.trim()).filter(Boolean);

/** Tools a compile would need: none of them may be reachable from the install's PATH. */
const COMPILE_TOOLS = ['cc', 'gcc', 'g++', 'c++', 'clang', 'clang++', 'make', 'python3', 'python'];
/** What npm and the app need besides node and npm (npm runs install scripts through sh). */
const BASIC_TOOLS = ['sh', 'env', 'uname', 'cat', 'ls', 'rm', 'mkdir'];

/** The environment without what an outer `npm run` put there (its npm_config_* would steer the inner npm). */
function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd, argv, opts) {
  const started = Date.now();
  const r = spawnSync(cmd, argv, { encoding: 'utf8', timeout: 5 * 60 * 1000, maxBuffer: 64 << 20, ...opts });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (r.error || r.status !== 0) {
    process.stdout.write(r.stdout ?? '');
    process.stderr.write(r.stderr ?? '');
    const why = r.error ? r.error.message : r.signal ? `signal ${r.signal}` : `exit status ${r.status}`;
    throw new Error(`${cmd} ${argv.join(' ')} failed after ${seconds} s: ${why}`);
  }
  return { stdout: r.stdout, seconds };
}

function which(name, pathVar) {
  for (const dir of pathVar.split(':')) {
    const file = path.join(dir, name);
    try {
      fs.accessSync(file, fs.constants.X_OK);
      if (fs.statSync(file).isFile()) return file;
    } catch {
      // not in this folder
    }
  }
  return null;
}

/** The publishable workspaces, in the root package.json's order. */
function publishable() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  return pkg.workspaces
    .map((dir) => ({ dir, manifest: JSON.parse(fs.readFileSync(path.join(root, dir, 'package.json'), 'utf8')) }))
    .filter((w) => !w.manifest.private);
}

/** A node binary of the given major: this one, or the npm `node` package's (cached by npx). */
function nodeBinary(major) {
  if (process.versions.node.split('.')[0] === major) return process.execPath;
  const r = run('npx', ['--yes', '-p', `node@${major}`, 'node', '-p', 'process.execPath'], { env: cleanEnv(), cwd: os.tmpdir() });
  return r.stdout.trim();
}

/** A folder with node, npm and the basic tools only, as symlinks: the install's whole PATH. */
function makeBin(dir, node) {
  fs.mkdirSync(dir);
  fs.symlinkSync(node, path.join(dir, 'node'));
  // npm's own scripts start with `#!/usr/bin/env node`, so they run on the node of this folder.
  for (const tool of ['npm', 'npx']) fs.symlinkSync(fs.realpathSync(which(tool, process.env.PATH)), path.join(dir, tool));
  for (const tool of BASIC_TOOLS) {
    const file = which(tool, process.env.PATH);
    if (file === null) throw new Error(`${tool} is not on PATH`);
    fs.symlinkSync(file, path.join(dir, tool));
  }
  for (const tool of COMPILE_TOOLS) {
    if (which(tool, dir) !== null) throw new Error(`${tool} is reachable from the install's PATH`);
  }
}

const APP = `// The app of the fresh project: only the installed packages, no path into the repository.
import { Runtime } from '@gatio/core';
import { tcp } from '@gatio/net';
import { addonSource, ioUringProbe } from '@gatio/native';
import * as net from 'node:net';

const deadline = setTimeout(() => { console.error('app: no answer within 60 s'); process.exit(2); }, 60_000);
const web = tcp({ port: 0, handler: new URL('./shout.mjs', import.meta.url) });
const rt = await Runtime.start({ filename: new URL('./tasks.cjs', import.meta.url), drivers: 1, services: [web] });
const task = await rt.run(41);
const { port } = web.address();
const reply = await new Promise((resolve, reject) => {
  const socket = net.connect(port, '127.0.0.1', () => socket.write('ping\\n'));
  let got = '';
  socket.on('data', (b) => { got += b; if (got.endsWith('\\n')) { socket.end(); resolve(got.trim()); } });
  socket.on('error', reject);
});
await rt.close();
clearTimeout(deadline);
console.log(JSON.stringify({ node: process.version, addonSource, ioUring: ioUringProbe().available, task, reply }));
`;
const TASKS = `// A task module of the project (CommonJS): the default export is the task.
module.exports = (n) => n + 1;
`;
const HANDLER = `// The tcp service's handler (ESM): answers each line in capitals.
export default {
  data(conn, bytes) {
    conn.write(Buffer.from(bytes.toString('latin1').toUpperCase(), 'latin1'));
  },
};
`;

function check(major, tarballs, work) {
  const node = nodeBinary(major);
  const dir = path.join(work, `node${major}`);
  const bin = path.join(dir, 'bin');
  const project = path.join(dir, 'app');
  fs.mkdirSync(dir);
  makeBin(bin, node);
  fs.mkdirSync(project);
  fs.writeFileSync(
    path.join(project, 'package.json'),
    JSON.stringify({ name: 'gatio-packed-app', version: '1.0.0', private: true, type: 'module' }, null, 2),
  );
  fs.writeFileSync(path.join(project, 'app.mjs'), APP);
  fs.writeFileSync(path.join(project, 'tasks.cjs'), TASKS);
  fs.writeFileSync(path.join(project, 'shout.mjs'), HANDLER);
  const env = cleanEnv({ PATH: bin, HOME: os.homedir() });
  const version = run(path.join(bin, 'node'), ['--version'], { env }).stdout.trim();
  const install = run(path.join(bin, 'npm'), ['install', '--no-audit', '--no-fund', '--foreground-scripts', ...tarballs], { cwd: project, env });
  const app = run(path.join(bin, 'node'), ['app.mjs'], { cwd: project, env, timeout: 90 * 1000 });
  const result = JSON.parse(app.stdout.trim().split('\n').pop());
  // The documented check, as a user runs it in the project: exit status 0 and the prebuilt addon.
  const doctor = JSON.parse(run(path.join(bin, 'npx'), ['--no-install', 'gatio', 'doctor', '--json'], { cwd: project, env }).stdout);
  const problems = [];
  if (result.node !== version) problems.push(`ran ${result.node}, expected ${version}`);
  if (!result.node.startsWith(`v${major}.`)) problems.push(`ran ${result.node}, not Node ${major}`);
  if (result.addonSource !== 'prebuilt') problems.push(`addon was ${result.addonSource}, not the prebuild`);
  if (result.task !== 42) problems.push(`task answered ${result.task}`);
  if (result.reply !== 'PING') problems.push(`service answered ${JSON.stringify(result.reply)}`);
  if (fs.existsSync(path.join(project, 'node_modules', '@gatio', 'native', 'build'))) problems.push('the install compiled the addon');
  if (!doctor.ok || doctor.addon.source !== 'prebuilt' || doctor.node.version !== version) {
    problems.push(`gatio doctor: ${JSON.stringify({ ok: doctor.ok, problems: doctor.problems, addon: doctor.addon.source, node: doctor.node.version })}`);
  }
  // The install script (node-gyp-build) finds the prebuild and compiles nothing; npm versions that
  // hold back dependencies' install scripts skip it, which the prebuild does not need either.
  const script = /^> node-gyp-build$/m.test(install.stdout) ? 'install script ran' : 'install script skipped';
  const line = `node ${version}: install ${install.seconds} s (${script}), addon ${result.addonSource}, io_uring ${result.ioUring ? 'on' : 'off (fallback)'}, task ${result.task}, tcp ${JSON.stringify(result.reply)}, gatio doctor ${doctor.ok ? 'OK' : 'NOT OK'}`;
  if (problems.length > 0) throw new Error(`${line}: ${problems.join('; ')}`);
  return line;
}

function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gatio-packed-'));
  let passed = 0;
  let failed = 0;
  try {
    const packs = path.join(work, 'tarballs');
    fs.mkdirSync(packs);
    const workspaces = publishable();
    const pack = run('npm', ['pack', '--json', '--pack-destination', packs, ...workspaces.flatMap((w) => ['--workspace', w.dir])], {
      cwd: root,
      env: cleanEnv(),
      timeout: 10 * 60 * 1000,
    });
    const tarballs = JSON.parse(pack.stdout.slice(pack.stdout.search(/^\[\s*$/m))).map((t) => path.join(packs, t.filename));
    console.log(`packed ${tarballs.map((t) => path.basename(t)).join(', ')} in ${pack.seconds} s`);
    for (const major of majors) {
      try {
        console.log(`packed install: ${check(major, tarballs, work)}: ok`);
        passed++;
      } catch (err) {
        console.error(`packed install on Node ${major} FAILED: ${err.message}`);
        failed++;
      }
    }
  } finally {
    if (keep) console.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
