'use strict';
// RESP reply encoder. It writes into one reusable scratch Uint8Array, which grows when a reply
// needs more room. Constants are copied in, and length and integer digits are written by hand,
// so a reply allocates nothing. The caller copies the bytes out (take(), or its own emit) before
// it passes them to a socket: both conn.write and socket.write send from place, later.

const latin1 = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0));
const PONG = latin1('+PONG\r\n');
const OK = latin1('+OK\r\n');
const NIL = latin1('$-1\r\n');
const EMPTY = latin1('*0\r\n');

const SMALL_COPY = 64; // up to this many bytes a JS loop copies faster than a subarray + set()

class Replies {
  constructor(size = 1 << 16) {
    /**
     * Scratch bytes; replies are buf[0, n). Replaced by a bigger one when a reply does not fit,
     * never shrunk: callers flush past 64 KiB, so it stays near that plus the largest reply.
     */
    this.buf = new Uint8Array(size);
    this.n = 0;
  }

  /** Makes room for `k` more bytes. */
  room(k) {
    if (this.n + k <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.n + k) size *= 2;
    const b = new Uint8Array(size);
    b.set(this.buf.subarray(0, this.n));
    this.buf = b;
  }

  /** A constant reply (PONG, OK, NIL, EMPTY or any prepared bytes). */
  raw(bytes) {
    this.room(bytes.length);
    copy(bytes, 0, bytes.length, this.buf, this.n);
    this.n += bytes.length;
  }

  /** `$<len>\r\n<src[s, e)>\r\n` */
  bulk(src, s, e) {
    const size = e - s;
    this.room(size + 16);
    const buf = this.buf;
    buf[this.n++] = 36; // '$'
    this.digits(size);
    buf[this.n++] = 13;
    buf[this.n++] = 10;
    copy(src, s, e, buf, this.n);
    this.n += size;
    buf[this.n++] = 13;
    buf[this.n++] = 10;
  }

  /** `:<v>\r\n` */
  integer(v) {
    if (!Number.isSafeInteger(v)) return this.text(`:${v}`, 'latin1');
    this.room(24);
    const buf = this.buf;
    buf[this.n++] = 58; // ':'
    if (v < 0) {
      buf[this.n++] = 45; // '-'
      v = -v;
    }
    this.digits(v);
    buf[this.n++] = 13;
    buf[this.n++] = 10;
  }

  /** An error line `-<msg>\r\n`, UTF-8 like Buffer.from(string) (`msg` starts with the code, "ERR ..."). */
  error(msg) {
    this.text(`-${msg}`, 'utf8');
  }

  /** A line of text plus CRLF, in `encoding`. Only for the rare replies built from strings. */
  text(line, encoding) {
    const b = Buffer.from(`${line}\r\n`, encoding);
    this.raw(b);
  }

  /**
   * A value as the store returns it: null/undefined (nil), 'OK', a number, a string (a RESP error
   * when it starts with '-', else a status line) or bytes (a bulk reply).
   */
  value(v) {
    if (v === null || v === undefined) this.raw(NIL);
    else if (v === 'OK') this.raw(OK);
    else if (typeof v === 'number') this.integer(v);
    else if (typeof v === 'string') this.text(v.startsWith('-') ? v : `+${v}`, 'utf8');
    else this.bulk(v, 0, v.length);
  }

  /** Decimal digits of a non-negative safe integer `v` (room already made). */
  digits(v) {
    const buf = this.buf;
    if (v < 10) {
      buf[this.n++] = 48 + v;
      return;
    }
    let width = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) width++;
    let i = this.n + width;
    while (v >= 10) {
      const q = Math.floor(v / 10);
      buf[--i] = 48 + (v - q * 10);
      v = q;
    }
    buf[--i] = 48 + v;
    this.n += width;
  }

  /** A fresh copy of buf[from, n), which is then dropped from the scratch (n = from). */
  take(from = 0) {
    const b = copyOut(this.buf, from, this.n);
    this.n = from;
    return b;
  }
}

/** src[s, e) into dst at `at`: small ones byte by byte (no view object), larger ones with set(). */
function copy(src, s, e, dst, at) {
  if (e - s <= SMALL_COPY) {
    for (let i = s; i < e; i++) dst[at++] = src[i];
  } else {
    dst.set(src.subarray(s, e), at);
  }
}

/**
 * A fresh Uint8Array with src[s, e): a SET value, which must outlive the receive buffer. V8 keeps
 * one of up to 64 bytes on its own heap (cheap to make and to collect), not a malloc each.
 */
function copyOf(src, s, e) {
  const b = new Uint8Array(e - s);
  copy(src, s, e, b, 0);
  return b;
}

/**
 * A fresh Buffer with buf[from, to), for a socket. Buffer.allocUnsafe carves small ones out of
 * Node's shared 8 KiB pool, several times cheaper than Uint8Array#slice's own ArrayBuffer.
 */
function copyOut(buf, from, to) {
  const b = Buffer.allocUnsafe(to - from);
  b.set(buf.subarray(from, to));
  return b;
}

/** One reply as its own Buffer (for replies that arrive later from another driver). */
const scratch = new Replies(256);
function encodeValue(v) {
  scratch.value(v);
  return scratch.take();
}
function encodeError(msg) {
  scratch.error(msg);
  return scratch.take();
}
function encodeInteger(v) {
  scratch.integer(v);
  return scratch.take();
}

module.exports = { Replies, PONG, OK, NIL, EMPTY, copyOf, encodeValue, encodeError, encodeInteger };
