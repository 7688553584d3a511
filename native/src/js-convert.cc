#include "js-convert.h"

#include <cmath>

namespace gatio {

// Raw N-API: node-addon-api's wrappers report a failed call (a getter that throws, a Proxy) by
// building an Error from the last error info, which is not safe with an exception pending.
bool ToIntVector(Napi::Value value, int min, int max, size_t max_length, std::vector<int>* out) {
  napi_env env = value.Env();
  bool is_array = false;
  if (napi_is_array(env, value, &is_array) != napi_ok || !is_array) return false;
  uint32_t length = 0;
  if (napi_get_array_length(env, value, &length) != napi_ok) return false;
  // A sparse array may claim 2^32 - 1 elements: never reserve for more than can be valid.
  if (length > max_length) return false;
  out->clear();
  out->reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    napi_value item;
    double d;
    // Either may fail: a getter that throws leaves its exception pending, and it propagates.
    if (napi_get_element(env, value, i, &item) != napi_ok ||
        napi_get_value_double(env, item, &d) != napi_ok) {
      return false;
    }
    if (!(d >= min && d <= max) || std::floor(d) != d) return false;
    out->push_back(static_cast<int>(d));
  }
  return true;
}

Napi::Array FromIntVector(Napi::Env env, const std::vector<int>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); i++) {
    array.Set(static_cast<uint32_t>(i), Napi::Number::New(env, values[i]));
  }
  return array;
}

}  // namespace gatio
