'use strict';
// RESP request parser that reads the received bytes in place. It scans for CR in JavaScript and
// reads the decimal headers by hand. It records where each argument starts and ends in reusable
// Int32Arrays, so it creates no subarray, string or array per command. It only reads `src` (a
// Buffer or Uint8Array), so the offsets are valid for as long as the caller keeps those bytes.
//
// One Parser per thread serves all its connections: a data() call parses its input, then runs
// the commands before it returns. Nothing else parses in between.

// Limits against hostile clients (Redis' own protocol errors, then the connection closes):
const MAX_BULK_BYTES = 1 << 20; // one argument ("invalid bulk length" beyond it)
const MAX_ARGS = 1 << 16; // arguments per command ("invalid multibulk length")
const MAX_INLINE_BYTES = 1 << 16; // an inline command or a '*'/'$' header line without CRLF
const MAX_PENDING_BYTES = MAX_BULK_BYTES + MAX_INLINE_BYTES * 2; // an incomplete command kept between reads

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;
const MINUS = 45;

class ProtocolError extends Error {}
function protocolError(what) {
  throw new ProtocolError(`ERR Protocol error: ${what}`);
}

/** Index of the first CRLF in src[from, len), or -1. */
function findCrlf(src, from, len) {
  for (let i = from; i < len - 1; i++) if (src[i] === CR && src[i + 1] === LF) return i;
  return -1;
}

// The bytes JavaScript's /\s/ matches in a latin1 string (TAB, LF, VT, FF, CR, space, NBSP): the
// inline splitter used to be latin1Slice().trim().split(/\s+/), and it must split the same way.
const isSpace = (b) => b === 32 || (b >= 9 && b <= 13) || b === 160;

class Parser {
  constructor() {
    /** Complete commands that the last parse() found. */
    this.count = 0;
    /** Command c's arguments are argument numbers first[c] to first[c + 1] - 1. */
    this.first = new Int32Array(64);
    /** Argument j is src[start[j], end[j]). */
    this.start = new Int32Array(256);
    this.end = new Int32Array(256);
    /** Set by header(): the index of the CR that ends the header line, or -1 if its CRLF has not arrived yet. */
    this.eol = -1;
  }

  /**
   * Parses as many complete commands as `src` holds and returns how many bytes they used. The
   * caller keeps the rest, an incomplete command, for the next read. Throws ProtocolError on
   * malformed or oversized input, before any command runs. So a bad command makes the whole
   * read fail, not only the bytes after it.
   */
  parse(src) {
    const len = src.length;
    let pos = 0;
    let nargs = 0;
    let ncmds = 0;
    while (pos < len) {
      const cmdStart = pos;
      const argsBefore = nargs;
      if (src[pos] !== STAR) {
        // Inline command (telnet style): words up to CRLF.
        const eol = findCrlf(src, pos, len);
        if (eol < 0) {
          if (len - pos > MAX_INLINE_BYTES) protocolError('too big inline request');
          break;
        }
        if (eol - pos > MAX_INLINE_BYTES) protocolError('too big inline request');
        for (let i = pos; i < eol; ) {
          if (isSpace(src[i])) {
            i++;
            continue;
          }
          const s = i;
          while (i < eol && !isSpace(src[i])) i++;
          nargs = this.arg(nargs, s, i);
        }
        pos = eol + 2;
        if (nargs > argsBefore) ncmds = this.command(ncmds, argsBefore);
        continue;
      }
      const n = this.header(src, pos + 1, len);
      if (this.eol < 0) {
        if (len - pos > MAX_INLINE_BYTES) protocolError('too big multibulk header');
        break;
      }
      if (!(n <= MAX_ARGS)) protocolError('invalid multibulk length'); // NaN (not a number) fails too
      pos = this.eol + 2;
      let complete = true;
      for (let i = 0; i < n; i++) {
        if (pos >= len) {
          complete = false;
          break;
        }
        if (src[pos] !== DOLLAR) protocolError(`expected '$', got '${String.fromCharCode(src[pos])}'`);
        const size = this.header(src, pos + 1, len);
        if (this.eol < 0) {
          if (len - pos > MAX_INLINE_BYTES) protocolError('invalid bulk length');
          complete = false;
          break;
        }
        if (!(size >= 0 && size <= MAX_BULK_BYTES)) protocolError('invalid bulk length');
        const s = this.eol + 2;
        const e = s + size;
        if (e + 2 > len) {
          complete = false;
          break;
        }
        if (src[e] !== CR || src[e + 1] !== LF) protocolError('bulk not terminated by CRLF');
        nargs = this.arg(nargs, s, e);
        pos = e + 2;
      }
      if (!complete) {
        pos = cmdStart;
        nargs = argsBefore;
        break;
      }
      if (nargs > argsBefore) ncmds = this.command(ncmds, argsBefore); // '*0' and '*-1' are empty: nothing to run
    }
    this.count = ncmds;
    this.first[ncmds] = nargs; // room was made by command() (or the initial size)
    return pos;
  }

  /**
   * The header value from `from` (after '*' or '$') up to its CRLF: a decimal integer with an
   * optional '-' and 1 to 10 digits. Returns NaN otherwise. Sets this.eol. When the text is
   * malformed it only says if a CRLF follows: the caller treats a missing CRLF as "wait for more
   * bytes", as the old regex-after-indexOf parser did.
   */
  header(src, from, len) {
    let i = from;
    if (i < len && src[i] === MINUS) i++;
    const digits = i;
    let v = 0;
    for (; i < len; i++) {
      const d = src[i] - 48;
      if (d < 0 || d > 9) break;
      v = v * 10 + d;
    }
    if (i + 1 < len && src[i] === CR && src[i + 1] === LF && i > digits && i - digits <= 10) {
      this.eol = i;
      return digits === from ? v : -v;
    }
    // Everything before i was '-' or a digit, so a CRLF can only start at i or later.
    this.eol = findCrlf(src, i, len);
    return NaN;
  }

  /** Records argument number `nargs` as src[s, e); returns the new count. */
  arg(nargs, s, e) {
    if (nargs === this.start.length) {
      this.start = grown(this.start);
      this.end = grown(this.end);
    }
    this.start[nargs] = s;
    this.end[nargs] = e;
    return nargs + 1;
  }

  /** Records command number `ncmds`, whose arguments start at `firstArg`; returns the new count. */
  command(ncmds, firstArg) {
    if (ncmds + 2 > this.first.length) this.first = grown(this.first); // +1 for the closing entry parse() writes
    this.first[ncmds] = firstArg;
    return ncmds + 1;
  }
}

/** Twice as long, same contents. The arrays only grow: the next big pipeline needs the room again. */
function grown(a) {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}

module.exports = {
  Parser,
  ProtocolError,
  limits: { MAX_BULK_BYTES, MAX_ARGS, MAX_INLINE_BYTES, MAX_PENDING_BYTES },
};
