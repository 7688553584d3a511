#include "js-convert.h"

#include <cmath>

namespace gatio {

bool ToIntVector(Napi::Value value, int min, int max, std::vector<int>* out) {
  if (!value.IsArray()) return false;
  Napi::Array array = value.As<Napi::Array>();
  uint32_t length = array.Length();
  out->clear();
  out->reserve(length);
  for (uint32_t i = 0; i < length; i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsNumber()) return false;
    double d = item.As<Napi::Number>().DoubleValue();
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
