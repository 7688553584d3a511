// Small conversions between JS arrays and std::vector<int>, shared by the area files.
#ifndef GATIO_NATIVE_JS_CONVERT_H_
#define GATIO_NATIVE_JS_CONVERT_H_

#include <napi.h>

#include <vector>

namespace gatio {

// Cheap guard: true when `value` is an array of at most max_length integers in [min, max]; fills
// `out`.
bool ToIntVector(Napi::Value value, int min, int max, size_t max_length, std::vector<int>* out);

Napi::Array FromIntVector(Napi::Env env, const std::vector<int>& values);

}  // namespace gatio

#endif  // GATIO_NATIVE_JS_CONVERT_H_
