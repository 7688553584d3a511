#!/usr/bin/env node
'use strict';
/**
 * `npm run bench [-- --quick]`: every suite (dispatch, net, udp when present), each with its
 * competitors in the same run, then one summary table (case, Gatio, competitor, ratio) and the same
 * as an SVG bar chart in bench-results/summary.svg (plus summary.json), to be read at a glance.
 * Every ratio is shown as Gatio's advantage: > 1 means Gatio did better (more per second, fewer
 * microseconds), whatever the metric's direction. A suite's `floor` ratios (net: a minimal C
 * io_uring server) come out as reference rows, grey in the chart: a reference, not a competitor.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const quick = process.argv.includes('--quick');
const outDir = path.join(__dirname, '..', 'bench-results');
const SUITES = [
  ['dispatch', 'dispatch/run.js'],
  ['net', 'net/run.js'],
  ['udp', 'udp/run.js'],
];

function runSuite(name, script) {
  const file = path.join(__dirname, script);
  if (!fs.existsSync(file)) return null;
  process.stderr.write(`\n=== ${name} ===\n`);
  const r = spawnSync(process.execPath, [file, '--json', ...(quick ? ['--quick'] : [])], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 30 * 60 * 1000,
  });
  if (r.status !== 0) throw new Error(`suite ${name} failed (exit ${r.status})`);
  const report = JSON.parse(r.stdout);
  fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(report, null, 2));
  return report;
}

/** Normalizes a suite's report into rows { suite, case, competitor, gatio, other, unit, advantage, reference }. */
function rowsOf(suite, report) {
  const rows = [];
  if (Array.isArray(report.rows)) {
    // dispatch shape: { rows: [{ case, title, unit, better, values: { gatio, x }, ratios: { x } }] }
    for (const r of report.rows) {
      for (const [competitor, ratio] of Object.entries(r.ratios)) {
        rows.push({ suite, case: r.title, competitor: report.labels?.[competitor] ?? competitor, gatio: r.values.gatio, other: r.values[competitor], unit: r.unit, advantage: ratio });
      }
    }
  } else if (Array.isArray(report.summary)) {
    // net shape: { results: [{ case, server, rps, cpuUsPerReq }], summary: [{ case, competitor, ...Ratio }],
    // floor: [same as summary] }. Server names may carry details ('gatio (1 driver)'; a competitor
    // label may add '(how)').
    const find = (c, match) => (report.results ?? []).find((x) => x.case === c && match(x.server)) ?? {};
    const reference = new Set(report.floor ?? []);
    for (const s of [...report.summary, ...reference]) {
      const g = find(s.case, (server) => server.startsWith('gatio'));
      const o = find(s.case, (server) => !server.startsWith('gatio') && s.competitor.startsWith(server));
      for (const [key, ratio] of Object.entries(s)) {
        if (!key.endsWith('Ratio') || typeof ratio !== 'number') continue;
        const metric = key.slice(0, -5);
        const lowerIsBetter = /cpu|loss|lat/i.test(metric);
        const field = Object.keys(g).find((k) => k.toLowerCase().startsWith(metric.toLowerCase()));
        rows.push({
          suite,
          case: `${s.case} (${metric})`,
          competitor: s.competitor,
          gatio: field ? g[field] : undefined,
          other: field ? o[field] : undefined,
          unit: field ?? metric,
          advantage: lowerIsBetter ? (ratio > 0 ? 1 / ratio : Infinity) : ratio,
          reference: reference.has(s),
        });
      }
    }
  }
  return rows;
}

function fmt(v) {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '-';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return v.toFixed(Math.abs(v) < 10 ? 2 : 1);
}

function svg(rows) {
  const barH = 18;
  const labelW = 560;
  const chartW = 420;
  const top = 40;
  const h = top + rows.length * (barH + 6) + 40;
  const maxLog = Math.max(1, ...rows.map((r) => Math.abs(Math.log10(Math.max(r.advantage, 1e-3)))));
  const x0 = labelW + chartW / 2; // advantage 1 sits in the middle; log scale both ways
  const scale = chartW / 2 / maxLog;
  const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${labelW + chartW + 90}" height="${h}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="10" y="22" font-size="15" font-weight="bold">Gatio's advantage over each competitor (log scale; right of the line = Gatio better)</text>`,
  ];
  rows.forEach((r, i) => {
    const y = top + i * (barH + 6);
    const lg = Math.log10(Math.max(r.advantage, 1e-3));
    const w = Math.abs(lg) * scale;
    const x = lg >= 0 ? x0 : x0 - w;
    const color = r.reference ? '#9e9e9e' : r.advantage >= 1 ? '#2e7d32' : '#c62828';
    parts.push(`<text x="10" y="${y + 13}">${esc(`[${r.suite}] ${r.case} vs ${r.competitor}${r.reference ? ' (reference)' : ''}`)}</text>`);
    parts.push(`<rect x="${x.toFixed(1)}" y="${y}" width="${Math.max(w, 1).toFixed(1)}" height="${barH}" fill="${color}"/>`);
    parts.push(`<text x="${labelW + chartW + 6}" y="${y + 13}">${fmt(r.advantage)}x</text>`);
  });
  parts.push(`<line x1="${x0}" y1="${top - 6}" x2="${x0}" y2="${h - 30}" stroke="black" stroke-width="1.5"/>`);
  parts.push(`<text x="${x0 - 8}" y="${h - 14}">1x</text>`);
  parts.push('</svg>');
  return parts.join('\n');
}

function main() {
  fs.mkdirSync(outDir, { recursive: true });
  const rows = [];
  for (const [name, script] of SUITES) {
    const report = runSuite(name, script);
    if (report) rows.push(...rowsOf(name, report));
  }
  fs.writeFileSync(path.join(outDir, 'summary.json'), JSON.stringify(rows, null, 2));
  fs.writeFileSync(path.join(outDir, 'summary.svg'), svg(rows));
  console.log('\nSummary: Gatio vs competitors (advantage > 1 means Gatio did better)');
  console.table(
    rows.map((r) => ({
      suite: r.suite,
      case: r.case,
      competitor: r.reference ? `${r.competitor} (reference)` : r.competitor,
      gatio: fmt(r.gatio),
      competitorValue: fmt(r.other),
      unit: r.unit,
      advantage: `${fmt(r.advantage)}x`,
    })),
  );
  console.log(`\nwritten: ${path.relative(process.cwd(), path.join(outDir, 'summary.svg'))} and summary.json`);
}

main();
