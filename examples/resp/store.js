'use strict';
// This driver's share of the keyspace. Each key is owned by one driver (ownerOf), so every
// connection, whichever driver accepted it, sees the same data.
const store = new Map();

function ownerOf(key, drivers) {
  if (drivers <= 1) return 0;
  let h = 0x811c9dc5; // FNV-1a
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % drivers;
}

// One operation on a key this driver owns. Values are Uint8Arrays (Buffers when they came from
// another driver) that are never changed in place. INCR errors come back as strings starting
// with '-' (a RESP error line).
function apply(op, key, value) {
  switch (op) {
    case 'get':
      return store.get(key) ?? null;
    case 'set':
      store.set(key, value);
      return 'OK';
    case 'del':
      return store.delete(key) ? 1 : 0;
    case 'exists':
      return store.has(key) ? 1 : 0;
    case 'incr': {
      const cur = store.get(key);
      const text = cur === undefined ? '0' : Buffer.prototype.latin1Slice.call(cur, 0, cur.length);
      const n = Number(text);
      if (!Number.isSafeInteger(n) || !/^-?\d+$/.test(text)) {
        return '-ERR value is not an integer or out of range';
      }
      store.set(key, Buffer.from(String(n + 1)));
      return n + 1;
    }
  }
  return '-ERR unknown op';
}

module.exports = { ownerOf, apply };
