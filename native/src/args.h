// Readers for the arguments of every exported function and method. Each returns true with *out
// set, or throws a TypeError (wrong type, missing) or RangeError (right type, wrong value) whose
// message names the call and the argument ("send(fd, id, bytes, offset, length): fd must be an
// integer from 0 to 2147483647, got -1") and returns false; the caller then returns at once.
//
// Cost: one N-API call per number (napi_get_value_double answers "is it a number?" and gives its
// value), the same as the unchecked Int32Value() it replaces, and one per typed array; the range
// checks are a few compares. So the hot methods (send, recv, sendQueued) pay nothing extra.
#ifndef GATIO_NATIVE_ARGS_H_
#define GATIO_NATIVE_ARGS_H_

#include <napi.h>
#include <stdint.h>

#include <string>

namespace gatio {

// Throws the TypeError or RangeError for info[i], which is not an integer in [min, max].
void ThrowNotInteger(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                     double min, double max);
// Throws TypeError "<sig>: <name> must be <what>, got <description of info[i]>".
void ThrowWrongType(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                    const char* what);
// "undefined", "null", "-1", "NaN", "a string", "an object", ... (never calls into user code).
std::string DescribeValue(Napi::Env env, napi_value value);

// An integer in [min, max] (both within +-2^53). NaN, Infinity and fractions are RangeErrors.
inline bool ArgInteger(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                       double min, double max, double* out) {
  double d;
  if (napi_get_value_double(info.Env(), info[i], &d) == napi_ok && d >= min && d <= max &&
      d == static_cast<double>(static_cast<int64_t>(d))) {
    *out = d;
    return true;
  }
  ThrowNotInteger(info, i, sig, name, min, max);
  return false;
}

inline bool ArgU32(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                   uint32_t* out, uint32_t min = 0, uint32_t max = UINT32_MAX) {
  double d;
  if (!ArgInteger(info, i, sig, name, min, max, &d)) return false;
  *out = static_cast<uint32_t>(d);
  return true;
}

inline bool ArgI32(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                   int32_t* out, int32_t min, int32_t max) {
  double d;
  if (!ArgInteger(info, i, sig, name, min, max, &d)) return false;
  *out = static_cast<int32_t>(d);
  return true;
}

// A file descriptor number: an integer from 0 to INT32_MAX (ownership is the caller's check).
inline bool ArgFd(const Napi::CallbackInfo& info, size_t i, const char* sig, int* out) {
  int32_t fd;
  if (!ArgI32(info, i, sig, "fd", &fd, 0, INT32_MAX)) return false;
  *out = fd;
  return true;
}

// A Uint8Array (or Buffer). A detached one reads as data == nullptr, length 0.
bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
              uint8_t** data, size_t* length);
// An ArrayBuffer (not a SharedArrayBuffer, not a view). Detached: nullptr, 0.
bool ArgArrayBuffer(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                    uint8_t** data, size_t* length);
// A string of at most max_bytes UTF-8 bytes.
bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
               size_t max_bytes, std::string* out);
bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
             bool* out);

}  // namespace gatio

#endif  // GATIO_NATIVE_ARGS_H_
