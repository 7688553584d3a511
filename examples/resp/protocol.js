'use strict';
// The RESP protocol work shared by the Gatio example (handler.js) and its node:net competitor
// (benchmarks/net/node-resp.js): parser, commands and reply encoding. The two differ only in
// their I/O path and in where keys live. The caller passes `keyOp(ctx, op, key, value)`, which
// runs 'get' | 'set' | 'del' | 'exists' | 'incr' on one key. It returns the store's result (see
// Replies#value), or a Promise of it when the key lives elsewhere.
//
// The hot path allocates nothing per command: a command is found by its length and a
// case-insensitive byte compare. A key becomes a string only for the Map (and recent keys come
// from a cache). Only a SET value is copied.
const { Parser, ProtocolError, limits } = require('./parser');
const { Replies, PONG, OK, EMPTY, copyOf, encodeValue, encodeError, encodeInteger } = require('./replies');

/** execute() result: the reply is in `out`. QUIT: answer +OK after the earlier replies, then end. */
const DONE = null;
const QUIT = Symbol('quit');

const word = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const GET = word('get');
const SET = word('set');
const DEL = word('del');
const PING = word('ping');
const ECHO = word('echo');
const INCR = word('incr');
const QUIT_WORD = word('quit');
const EXISTS = word('exists');
const CONFIG = word('config');
const COMMAND = word('command');
const CONFIG_GET_HEAD = word('*2\r\n');
const CONFIG_GET_TAIL = word('$0\r\n\r\n');

/** Whether src[s, s + w.length) is the lowercase ASCII word `w`, in any case. */
function is(src, s, w) {
  // b | 0x20 equals a lowercase letter only for that letter and its uppercase form.
  for (let i = 0; i < w.length; i++) if ((src[s + i] | 0x20) !== w[i]) return false;
  return true;
}

const latin1Slice = Buffer.prototype.latin1Slice; // works on any Uint8Array, not only Buffers
const latin1 = (src, s, e) => latin1Slice.call(src, s, e);

// Recent keys by content: a direct-mapped table of KEY_SLOTS keys with their bytes beside them,
// so a key seen before costs a hash and a byte compare instead of a new string (and the Map then
// finds that string's hash already computed). Keys over KEY_MAX bytes are not cached. It holds
// at most KEY_SLOTS * KEY_MAX bytes (256 KiB) plus the strings.
const KEY_SLOTS = 4096;
const KEY_MAX = 64;
const keyBytes = new Uint8Array(KEY_SLOTS * KEY_MAX);
const keyLength = new Int32Array(KEY_SLOTS).fill(-1);
const keyStrings = new Array(KEY_SLOTS).fill('');

/** src[s, e) as a latin1 string, the Map key. */
function keyString(src, s, e) {
  const size = e - s;
  if (size > KEY_MAX) return latin1(src, s, e);
  let h = 0x811c9dc5; // FNV-1a: integer multiplies (Math.imul), about 1 ns a byte
  for (let i = s; i < e; i++) h = Math.imul(h ^ src[i], 0x01000193);
  const slot = (h ^ (h >>> 16)) & (KEY_SLOTS - 1);
  const at = slot * KEY_MAX - s; // keyBytes[at + i] pairs with src[i]
  if (keyLength[slot] === size) {
    let i = s;
    while (i < e && keyBytes[at + i] === src[i]) i++;
    if (i === e) return keyStrings[slot];
  }
  const k = latin1(src, s, e);
  for (let i = s; i < e; i++) keyBytes[at + i] = src[i];
  keyLength[slot] = size;
  keyStrings[slot] = k;
  return k;
}

/**
 * Runs command `c` of the last parse of `src`. It writes the reply into `out` and returns DONE,
 * or returns QUIT, or a Promise of the whole reply (its own bytes) when a key lives elsewhere.
 */
function execute(src, p, c, out, keyOp, ctx) {
  const a = p.first[c];
  const argc = p.first[c + 1] - a;
  const s = p.start[a];
  switch (p.end[a] - s) {
    case 3:
      if (is(src, s, GET)) return argc < 2 ? arity(out, 'get') : keyReply(out, keyOp(ctx, 'get', key(src, p, a + 1)));
      if (is(src, s, SET)) {
        if (argc < 3) return arity(out, 'set');
        return keyReply(out, keyOp(ctx, 'set', key(src, p, a + 1), copyOf(src, p.start[a + 2], p.end[a + 2])));
      }
      if (is(src, s, DEL)) return argc < 2 ? arity(out, 'del') : sumOver(src, p, a, argc, out, keyOp, ctx, 'del');
      break;
    case 4:
      if (is(src, s, PING)) {
        if (argc > 1) out.bulk(src, p.start[a + 1], p.end[a + 1]);
        else out.raw(PONG);
        return DONE;
      }
      if (is(src, s, ECHO)) {
        if (argc < 2) return arity(out, 'echo');
        out.bulk(src, p.start[a + 1], p.end[a + 1]);
        return DONE;
      }
      if (is(src, s, INCR)) return argc < 2 ? arity(out, 'incr') : keyReply(out, keyOp(ctx, 'incr', key(src, p, a + 1)));
      if (is(src, s, QUIT_WORD)) return QUIT; // answered +OK in order, then the connection ends
      break;
    case 6:
      if (is(src, s, EXISTS)) return argc < 2 ? arity(out, 'exists') : sumOver(src, p, a, argc, out, keyOp, ctx, 'exists');
      if (is(src, s, CONFIG)) {
        // redis-benchmark asks CONFIG GET save / appendonly at start: answer "name" -> "".
        if (argc === 3 && p.end[a + 1] - p.start[a + 1] === 3 && is(src, p.start[a + 1], GET)) {
          out.raw(CONFIG_GET_HEAD);
          out.bulk(src, p.start[a + 2], p.end[a + 2]);
          out.raw(CONFIG_GET_TAIL);
        } else {
          out.raw(EMPTY);
        }
        return DONE;
      }
      break;
    case 7:
      if (is(src, s, COMMAND)) {
        out.raw(EMPTY); // redis-cli probes COMMAND DOCS at start
        return DONE;
      }
      break;
  }
  const name = latin1(src, s, p.end[a]).toLowerCase();
  const rest = [];
  for (let j = a + 1; j < a + argc; j++) rest.push(`'${latin1(src, p.start[j], Math.min(p.end[j], p.start[j] + 64))}'`);
  out.error(`ERR unknown command '${name}', with args beginning with: ${rest.join(' ')}`);
  return DONE;
}

const key = (src, p, j) => keyString(src, p.start[j], p.end[j]);

function arity(out, name) {
  out.error(`ERR wrong number of arguments for '${name}' command`);
  return DONE;
}

/** A keyOp result: encoded now, or (from another driver) encoded on its own when it arrives. */
function keyReply(out, r) {
  if (r instanceof Promise) return r.then(encodeValue);
  out.value(r);
  return DONE;
}

/** DEL / EXISTS over several keys: the sum of the per-key counts. */
function sumOver(src, p, a, argc, out, keyOp, ctx, op) {
  let sum = 0;
  let later = null;
  for (let j = a + 1; j < a + argc; j++) {
    const r = keyOp(ctx, op, key(src, p, j));
    if (r instanceof Promise) (later ??= []).push(r);
    else sum += r;
  }
  if (later === null) {
    out.integer(sum);
    return DONE;
  }
  return Promise.all(later).then((rs) => encodeInteger(rs.reduce((x, y) => x + y, sum)));
}

module.exports = { Parser, ProtocolError, Replies, limits, execute, DONE, QUIT, OK, encodeError };
