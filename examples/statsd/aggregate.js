'use strict';
// StatsD aggregation, shared by the handler (each driver's partial window) and the tasks (the
// owner driver's merged window). Lines: `name:value|type[|@rate][|#tags]`, several per datagram
// separated by '\n'. Types: c (counter, value / rate), g (gauge; '+n'/'-n' adjust it), ms and h
// (timer / histogram; each sample counts 1 / rate). Anything else counts in `statsd.bad_lines`.
// A window is a plain object so it crosses drivers through the task rings as is.

function emptyWindow() {
  return { counters: {}, gauges: {}, timers: {}, lines: 0 };
}

/** Parses one datagram's text into window `w`. */
function addPacket(w, text) {
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) addLine(w, text.slice(start, end));
    start = end + 1;
  }
}

function addLine(w, line) {
  const colon = line.indexOf(':');
  const bar = line.indexOf('|', colon);
  if (colon <= 0 || bar < 0) return bad(w);
  const name = line.slice(0, colon);
  const raw = line.slice(colon + 1, bar);
  const fields = line.slice(bar + 1).split('|');
  const type = fields[0];
  const value = Number(raw);
  if (raw === '' || !Number.isFinite(value)) return bad(w);
  let rate = 1;
  for (let i = 1; i < fields.length; i++) {
    if (fields[i][0] === '@') rate = Number(fields[i].slice(1));
  }
  if (!(rate > 0 && rate <= 1)) return bad(w);
  w.lines++;
  if (type === 'c') {
    w.counters[name] = (w.counters[name] ?? 0) + value / rate;
  } else if (type === 'g') {
    const relative = raw[0] === '+' || raw[0] === '-';
    const g = w.gauges[name];
    if (!relative) w.gauges[name] = { v: value, set: true, t: Date.now() };
    else if (g === undefined) w.gauges[name] = { v: value, set: false, t: 0 };
    else g.v += value;
  } else if (type === 'ms' || type === 'h') {
    const t = (w.timers[name] ??= { values: [], count: 0 });
    t.values.push(value);
    t.count += 1 / rate;
  } else {
    bad(w);
  }
}

function bad(w) {
  w.counters['statsd.bad_lines'] = (w.counters['statsd.bad_lines'] ?? 0) + 1;
}

/** Adds partial window `p` (from any driver) into `w`. Gauges persist in `gauges` across flushes. */
function merge(w, p, gauges) {
  w.lines += p.lines;
  for (const [k, v] of Object.entries(p.counters)) w.counters[k] = (w.counters[k] ?? 0) + v;
  for (const [k, g] of Object.entries(p.gauges)) {
    const cur = gauges[k];
    if (g.set) gauges[k] = cur !== undefined && cur.t > g.t ? cur : { v: g.v, t: g.t };
    else gauges[k] = { v: (cur?.v ?? 0) + g.v, t: cur?.t ?? 0 };
  }
  for (const [k, t] of Object.entries(p.timers)) {
    const cur = (w.timers[k] ??= { values: [], count: 0 });
    for (const x of t.values) cur.values.push(x);
    cur.count += t.count;
  }
}

/** The flushed summary of a merged window over `seconds`. */
function summarize(w, gauges, seconds) {
  const counters = {};
  for (const [k, v] of Object.entries(w.counters)) counters[k] = { count: v, rate: v / seconds };
  const timers = {};
  for (const [k, t] of Object.entries(w.timers)) {
    const s = t.values.sort((a, b) => a - b);
    const sum = s.reduce((a, b) => a + b, 0);
    const pct = (p) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
    timers[k] = { count: t.count, samples: s.length, min: s[0], max: s[s.length - 1], mean: sum / s.length, median: pct(50), p90: pct(90), sum };
  }
  const g = {};
  for (const [k, v] of Object.entries(gauges)) g[k] = v.v;
  return { counters, gauges: g, timers, lines: w.lines };
}

module.exports = { emptyWindow, addPacket, merge, summarize };
