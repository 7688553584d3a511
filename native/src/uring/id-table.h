// A value per request id. Ids are chosen by JavaScript and may be any uint32 (a connection slot,
// or a slot with a generation in its high bits). Ids below kDenseIds index a vector that grows
// geometrically (a driver's slots: the common, hot case, one load per lookup); larger ids live
// in a hash map, and their entry is dropped when the request ends (Release), so the map holds
// only requests in flight. No id can size anything past kDenseIds entries, and no index
// arithmetic can wrap.
//
// Set may throw std::bad_alloc; the Napi entry points catch it (see Guarded in errors.h).
#ifndef GATIO_NATIVE_URING_ID_TABLE_H_
#define GATIO_NATIVE_URING_ID_TABLE_H_

#include <stddef.h>
#include <stdint.h>

#include <algorithm>
#include <unordered_map>
#include <vector>

namespace gatio {
namespace uring {

template <typename T>
class IdTable {
 public:
  static constexpr uint32_t kDenseIds = 1u << 20;

  void Set(uint32_t id, T value) {
    if (id >= kDenseIds) {
      sparse_[id] = value;
      return;
    }
    if (id >= dense_.size()) {
      size_t want = std::max<size_t>(static_cast<size_t>(id) + 1, dense_.size() * 2);
      dense_.resize(std::min<size_t>(want, kDenseIds), T{});
    }
    dense_[id] = value;
  }

  // T{} for an id never set (or released).
  T Get(uint32_t id) const {
    if (id < dense_.size()) return dense_[id];
    if (id < kDenseIds || sparse_.empty()) return T{};
    auto it = sparse_.find(id);
    return it == sparse_.end() ? T{} : it->second;
  }

  // The request with this id ended: a sparse entry goes (dense ones are simply overwritten).
  void Release(uint32_t id) {
    if (id >= kDenseIds && !sparse_.empty()) sparse_.erase(id);
  }

 private:
  std::vector<T> dense_;
  std::unordered_map<uint32_t, T> sparse_;
};

}  // namespace uring
}  // namespace gatio

#endif  // GATIO_NATIVE_URING_ID_TABLE_H_
