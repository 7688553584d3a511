// Batched TCP sends from send slabs (see packages/net/src/send-blocks.ts). JavaScript copies small
// writes into fixed blocks of a few large ArrayBuffers registered here once (addSendSlab), lists
// one record per send in a table it shares with this object (setSendTable), and queues them all
// with one call (sendQueued) instead of one N-API call per connection. The records name slabs by
// index, so no typed array crosses the boundary per send, and each is bounds-checked here, its fd
// included (a socket this ring owns).
//
// Record layout (Int32, kSendRecordInts per record): fd, id, slab, offset, length.
#include <errno.h>

#include "../args.h"
#include "../errors.h"
#include "ops.h"
#include "uring-object.h"

namespace gatio {
namespace uring {

namespace {
constexpr unsigned kSendRecordInts = 5;
}  // namespace

// addSendSlab(index, memory) -> 0 or -errno (-EINVAL: index is not the next one). The slab stays
// referenced until teardown, so the kernel may read it while a send is in flight even after JS
// dropped it.
Napi::Value UringObject::AddSendSlab(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "addSendSlab(index, memory)";
  Napi::Env env = info.Env();
  uint32_t index;
  uint8_t* data;
  size_t bytes;
  if (!ArgU32(info, 0, kSig, "index", &index) ||
      !ArgArrayBuffer(info, 1, kSig, "memory", &data, &bytes)) {
    return env.Undefined();
  }
  if (index != send_slabs_.size()) return Napi::Number::New(env, -EINVAL);  // appended in order
  // Both may throw (no memory): grow first, so the two lists never disagree.
  send_slabs_.reserve(send_slabs_.size() + 1);
  send_slab_refs_.reserve(send_slab_refs_.size() + 1);
  send_slabs_.push_back({data, bytes});
  send_slab_refs_.push_back(Napi::Persistent(info[1].As<Napi::ArrayBuffer>()));
  return Napi::Number::New(env, 0);
}

// setSendTable(table): the records sendQueued reads, an Int32Array over a SharedArrayBuffer (kept
// referenced here). Shared because that cannot be detached or transferred: this object keeps a
// pointer to its bytes, which a detached ArrayBuffer would free under it.
Napi::Value UringObject::SetSendTable(const Napi::CallbackInfo& info) {
  static constexpr const char* kSig = "setSendTable(table)";
  Napi::Env env = info.Env();
  napi_typedarray_type type;
  size_t count = 0;
  void* data = nullptr;
  napi_value buffer;
  bool plain = true;
  if (napi_get_typedarray_info(env, info[0], &type, &count, &data, &buffer, nullptr) != napi_ok ||
      type != napi_int32_array || napi_is_arraybuffer(env, buffer, &plain) != napi_ok || plain) {
    ThrowWrongType(info, 0, kSig, "table", "an Int32Array over a SharedArrayBuffer");
    return env.Undefined();
  }
  send_table_ref_ = Napi::Persistent(info[0].As<Napi::Int32Array>());
  send_table_ = static_cast<const int32_t*>(data);
  send_table_records_ = data == nullptr ? 0 : count / kSendRecordInts;
  return env.Undefined();
}

// sendQueued(count) -> records queued (from the first; fewer when the SQ stayed full), or -errno
// when none was: -EINVAL when a record names bytes outside its slab, -EBADF when it names an fd
// this ring does not own (nothing from that record on is queued). count above the table's
// records is a RangeError.
Napi::Value UringObject::SendQueued(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  uint32_t count;
  if (!ArgU32(info, 0, "sendQueued(count)", "count", &count, 0,
              static_cast<uint32_t>(send_table_records_))) {
    return env.Undefined();
  }
  if (count == 0) return Napi::Number::New(env, 0);
  if (!ring_.open()) return Napi::Number::New(env, -EBADF);
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
    if (!Owned(r[0])) return Napi::Number::New(env, i > 0 ? static_cast<int>(i) : -EBADF);
    try {
      ExpectSend(static_cast<uint32_t>(r[1]), length);
    } catch (const std::exception&) {
      return Napi::Number::New(env, i > 0 ? static_cast<int>(i) : -ENOMEM);
    }
    io_uring_sqe* sqe = Sqe();
    if (sqe == nullptr) break;
    PrepSend(sqe, r[0], send_slabs_[slab].data + offset, length, static_cast<uint32_t>(r[1]));
  }
  if (i == 0) return Napi::Number::New(env, -EBUSY);
  return Napi::Number::New(env, static_cast<int>(i));
}

}  // namespace uring
}  // namespace gatio
