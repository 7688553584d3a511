#!/usr/bin/env node
// Runs the native addon's scenarios under valgrind: 8 worker_threads load @gatio/native at once,
// call every export, and are terminated (test/fixtures/native-load-workers.js); then a driver's
// io_uring serves TCP: accepts, multishot receives, send blocks, partial sends, close
// (test/fixtures/net-ring-workout.js); then the boundary fuzz: every export and ring method with
// hostile arguments, rings destroyed with requests in flight and inside their own batch
// (test/fixtures/native-fuzz.js, a fixed seed), and a bound sendQueued called after its ring was
// collected (test/fixtures/native-fuzz-cases.js).
//
//   valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite ...
//
// Node itself (V8, libuv, OpenSSL) can produce valgrind reports that are not ours, so the run writes
// XML and this script fails only on errors with a stack frame inside gatio.node, or when the
// scenario itself fails (crash, missing "OK"). Other reports are counted and printed as noise.
// Set GATIO_NATIVE_DEBUG=1 to run against build/Debug (npm run build:debug --workspace @gatio/native)
// for line numbers in the stacks.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.join(__dirname, '..');
const variant = process.env.GATIO_NATIVE_DEBUG === '1' ? 'Debug' : 'Release';
const addon = path.join(root, 'native', 'build', variant, 'gatio.node');
const fixtures = path.join(root, 'test', 'fixtures');
const workers = process.argv[2] ?? '8';
const scenarios = [
  { file: path.join(fixtures, 'native-load-workers.js'), args: [workers], ok: /native-load-workers OK/ },
  { file: path.join(fixtures, 'net-ring-workout.js'), args: [], ok: /net-ring-workout OK/ },
  // 1500 calls: about a minute under valgrind (20000 in test/native-fuzz without it).
  { file: path.join(fixtures, 'native-fuzz.js'), node: ['--expose-gc'], args: ['1500', '20251202'], ok: /native-fuzz OK/ },
  {
    file: path.join(fixtures, 'native-fuzz-cases.js'),
    node: ['--expose-gc'],
    args: ['send-queued-after-gc'],
    ok: /send-queued-after-gc OK/,
  },
];

if (!fs.existsSync('/usr/bin/valgrind') && spawnSync('valgrind', ['--version']).error) {
  console.error('valgrind is not installed (apt-get install valgrind)');
  process.exit(1);
}
if (!fs.existsSync(addon)) {
  console.error(`missing ${addon}: run npm run build${variant === 'Debug' ? ':debug' : ''} --workspace @gatio/native`);
  process.exit(1);
}

/** One scenario under valgrind: its reports, and whether the scenario itself finished. */
function runScenario({ file, node = [], args: extra, ok }) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gatio-valgrind-'));
  const xmlFile = path.join(tmp, 'valgrind.xml');
  const args = [
    '--error-exitcode=1',
    '--leak-check=full',
    '--errors-for-leak-kinds=definite',
    '--show-leak-kinds=definite',
    '--num-callers=30',
    '--xml=yes',
    `--xml-file=${xmlFile}`,
    process.execPath,
    ...node,
    file,
    ...extra,
  ];
  console.log(`valgrind ${args.join(' ')}`);
  const started = Date.now();
  const run = spawnSync('valgrind', args, { encoding: 'utf8', timeout: 5 * 60 * 1000, env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  process.stdout.write(run.stdout ?? '');
  process.stderr.write(run.stderr ?? '');
  const xml = fs.existsSync(xmlFile) ? fs.readFileSync(xmlFile, 'utf8') : '';
  const errors = xml.match(/<error>[\s\S]*?<\/error>/g) ?? [];
  const ours = errors.filter((e) => /<obj>[^<]*gatio\.node<\/obj>/.test(e));
  fs.rmSync(tmp, { recursive: true, force: true });
  let finished = true;
  if (run.error) {
    console.error(`valgrind did not finish: ${run.error.message}`);
    finished = false;
  } else if (run.signal || ![0, 1].includes(run.status) || !ok.test(run.stdout)) {
    console.error(`${path.basename(file)} failed under valgrind (status ${run.status}, signal ${run.signal})`);
    finished = false;
  }
  return { errors, ours, seconds, finished };
}

function text(s) {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

function summary(error) {
  const kind = /<kind>([^<]*)<\/kind>/.exec(error)?.[1];
  const what = /<text>([^<]*)<\/text>|<what>([^<]*)<\/what>/.exec(error);
  const frames = [...error.matchAll(/<frame>([\s\S]*?)<\/frame>/g)].slice(0, 12).map((m) => {
    const fn = /<fn>([^<]*)<\/fn>/.exec(m[1])?.[1] ?? '???';
    const obj = /<obj>([^<]*)<\/obj>/.exec(m[1])?.[1] ?? '';
    const file = /<file>([^<]*)<\/file>/.exec(m[1])?.[1];
    const line = /<line>([^<]*)<\/line>/.exec(m[1])?.[1];
    return `    ${text(fn)} (${file ? `${file}:${line}` : path.basename(obj)})`;
  });
  return `  ${kind}: ${text(what?.[1] ?? what?.[2] ?? '')}\n${frames.join('\n')}`;
}

let failed = false;
for (const scenario of scenarios) {
  const { errors, ours, seconds, finished } = runScenario(scenario);
  if (!finished) failed = true;
  if (ours.length > 0) {
    console.error(`${ours.length} valgrind error(s) in gatio.node:`);
    for (const e of ours) console.error(summary(e));
    failed = true;
  }
  const noise = errors.length - ours.length;
  console.log(
    `valgrind ${path.basename(scenario.file)}: ${errors.length} report(s), ${ours.length} in gatio.node, ${noise} elsewhere (node/V8, ignored); ${seconds}s`,
  );
}
process.exit(failed ? 1 : 0);
