/**
 * The codec's structured-clone path: v8's serializer with two differences from v8.serialize /
 * v8.deserialize, both so the result matches what postMessage delivers:
 *  - shared memory (a SharedArrayBuffer, or a view over one) cannot be shared through ring bytes:
 *    serializing reports it (SharedMemoryFound) and the caller sends the value by postMessage,
 *    which shares it;
 *  - a decoded typed array, DataView or Buffer gets its own ArrayBuffer of exactly its size, at
 *    offset 0 (v8.deserialize returns views into the serialized bytes, i.e. other values' data).
 */
import { types } from 'node:util';
import { DefaultDeserializer, DefaultSerializer } from 'node:v8';

/** Thrown by ringSerialize when the value holds shared memory: send it by postMessage instead. */
export class SharedMemoryFound extends Error {}

// Node's hooks for typed arrays (ArrayBufferViews are host objects to DefaultSerializer); the
// typings of node:v8 do not declare them.
interface HostHooks {
  _writeHostObject(view: ArrayBufferView): void;
  _readHostObject(): ArrayBufferView;
}
const writeView = (DefaultSerializer.prototype as unknown as HostHooks)._writeHostObject;
const readView = (DefaultDeserializer.prototype as unknown as HostHooks)._readHostObject;

class RingSerializer extends DefaultSerializer {
  /** Called by v8 for a bare SharedArrayBuffer. */
  _getSharedArrayBufferId(): number {
    throw new SharedMemoryFound();
  }

  _writeHostObject(view: ArrayBufferView): void {
    if (types.isSharedArrayBuffer(view.buffer)) throw new SharedMemoryFound();
    writeView.call(this, view);
  }
}

class RingDeserializer extends DefaultDeserializer {
  _readHostObject(): ArrayBufferView {
    const view = readView.call(this);
    // Copy into memory of its own: the view points into the serialized bytes (or Node's pool).
    const own = new Uint8Array(view.byteLength);
    own.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength));
    if (Buffer.isBuffer(view)) return Buffer.from(own.buffer);
    if (types.isDataView(view)) return new DataView(own.buffer);
    const Typed = view.constructor as new (buffer: ArrayBuffer) => ArrayBufferView;
    return new Typed(own.buffer);
  }
}

/** Structured-clone bytes of `value`; throws SharedMemoryFound, or the DataCloneError. */
export function ringSerialize(value: unknown): Buffer {
  const s = new RingSerializer();
  s.writeHeader();
  s.writeValue(value);
  return s.releaseBuffer();
}

/** Reads a value written by ringSerialize; `bytes` may be ring memory (nothing keeps a view on it). */
export function ringDeserialize(bytes: Uint8Array): unknown {
  const d = new RingDeserializer(bytes);
  d.readHeader();
  return d.readValue();
}
