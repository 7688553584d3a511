// send-memory: only registered large buffers are freed (detached), each once; anything else is
// left alone, since a user's chunk or a send block may still be read.
import { Buffer } from 'node:buffer';
import { RELEASE_MIN_BYTES, ownSendMemory, releaseSendMemory } from './send-memory';

test('a registered large buffer is detached by release, even through a view of part of it', () => {
  const big = Buffer.allocUnsafeSlow(RELEASE_MIN_BYTES);
  ownSendMemory(big);
  const view = big.subarray(10, 20);
  releaseSendMemory(view);
  expect(big.buffer.byteLength).toBe(0); // detached: its memory is freed
  expect(big.length).toBe(0);
  releaseSendMemory(big); // a second release does nothing
});

test('unregistered, small or null buffers are left alone', () => {
  const user = Buffer.allocUnsafeSlow(RELEASE_MIN_BYTES * 2).fill(7);
  releaseSendMemory(user);
  expect(user.buffer.byteLength).toBe(RELEASE_MIN_BYTES * 2);
  const small = Buffer.allocUnsafeSlow(RELEASE_MIN_BYTES - 1);
  ownSendMemory(small);
  releaseSendMemory(small);
  expect(small.buffer.byteLength).toBe(RELEASE_MIN_BYTES - 1);
  releaseSendMemory(null);
  expect(user[0]).toBe(7);
});
