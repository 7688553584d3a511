// Batched TCP sends from send slabs (see packages/net/src/send-blocks.ts). JavaScript copies small
// writes into fixed blocks of a few large ArrayBuffers registered here once (addSendSlab), lists
// one record per send in a table it shares with this object (setSendTable), and queues them all
// with one call (sendQueued) instead of one N-API call per connection. The records name slabs by
// index, so no typed array crosses the boundary per send, and each is bounds-checked here.
//
// Record layout (Int32, kSendRecordInts per record): fd, id, slab, offset, length.
#include <errno.h>

#include "../errors.h"
#include "ops.h"
#include "uring-object.h"

namespace gatio {
namespace uring {

namespace {
constexpr unsigned kSendRecordInts = 5;
}  // namespace

// addSendSlab(index, arrayBuffer) -> 0 or -errno. The slab stays referenced until teardown, so
// the kernel may read it while a send is in flight even after JS dropped it.
Napi::Value UringObject::AddSendSlab(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsArrayBuffer()) {
    ThrowInvalidArg(env, "addSendSlab(index, arrayBuffer)");
    return env.Undefined();
  }
  uint32_t index = info[0].As<Napi::Number>().Uint32Value();
  if (index != send_slabs_.size()) return Napi::Number::New(env, -EINVAL);  // appended in order
  Napi::ArrayBuffer ab = info[1].As<Napi::ArrayBuffer>();
  send_slabs_.push_back({static_cast<uint8_t*>(ab.Data()), ab.ByteLength()});
  send_slab_refs_.push_back(Napi::Persistent(ab));
  return Napi::Number::New(env, 0);
}

// setSendTable(int32Array): the records sendQueued reads (kept referenced here).
Napi::Value UringObject::SetSendTable(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    ThrowInvalidArg(env, "setSendTable(int32Array)");
    return env.Undefined();
  }
  Napi::Int32Array table = info[0].As<Napi::Int32Array>();
  send_table_ = table.Data();
  send_table_records_ = table.ElementLength() / kSendRecordInts;
  send_table_ref_ = Napi::Persistent(table);
  return env.Undefined();
}

// sendQueued(count) -> records queued (from the first; fewer when the SQ stayed full), or
// -EINVAL when a record names bytes outside its slab (nothing after it is queued).
Napi::Value UringObject::SendQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t count = info[0].As<Napi::Number>().Uint32Value();
  if (count > send_table_records_) return Napi::Number::New(env, -EINVAL);
  uint32_t i = 0;
  for (; i < count; i++) {
    const int32_t* r = send_table_ + i * kSendRecordInts;
    uint32_t slab = static_cast<uint32_t>(r[2]);
    uint32_t offset = static_cast<uint32_t>(r[3]);
    uint32_t length = static_cast<uint32_t>(r[4]);
    if (slab >= send_slabs_.size() || offset > send_slabs_[slab].length ||
        length > send_slabs_[slab].length - offset) {
      return Napi::Number::New(env, i > 0 ? static_cast<int>(i) : -EINVAL);
    }
    io_uring_sqe* sqe = ring_.GetSqe();
    if (sqe == nullptr) break;
    ExpectSend(static_cast<uint32_t>(r[1]), length);
    PrepSend(sqe, r[0], send_slabs_[slab].data + offset, length, static_cast<uint32_t>(r[1]));
  }
  if (i == 0 && count > 0) return Napi::Number::New(env, ring_.open() ? -EBUSY : -EBADF);
  return Napi::Number::New(env, static_cast<int>(i));
}

}  // namespace uring
}  // namespace gatio
