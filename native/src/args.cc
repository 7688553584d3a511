#include "args.h"

#include <math.h>

#include "errors.h"

namespace gatio {

namespace {

std::string Bound(double v) { return std::to_string(static_cast<long long>(v)); }

std::string Prefix(const char* sig, const char* name) {
  return std::string(sig) + ": " + name + " must be ";
}

}  // namespace

std::string DescribeValue(Napi::Env env, napi_value value) {
  napi_valuetype type;
  if (value == nullptr || napi_typeof(env, value, &type) != napi_ok) return "an unreadable value";
  switch (type) {
    case napi_undefined:
      return "undefined";
    case napi_null:
      return "null";
    case napi_boolean: {
      bool b = false;
      napi_get_value_bool(env, value, &b);
      return b ? "true" : "false";
    }
    case napi_number: {
      double d = 0;
      napi_get_value_double(env, value, &d);
      if (isnan(d)) return "NaN";
      if (isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
      if (d == static_cast<double>(static_cast<long long>(d)) && fabs(d) < 9.3e18) return Bound(d);
      char text[32];
      snprintf(text, sizeof(text), "%.17g", d);
      return text;
    }
    case napi_string:
      return "a string";
    case napi_symbol:
      return "a symbol";
    case napi_function:
      return "a function";
    case napi_bigint:
      return "a bigint";
    case napi_external:
      return "an external";
    case napi_object: {
      bool is = false;
      if (napi_is_array(env, value, &is) == napi_ok && is) return "an array";
      if (napi_is_typedarray(env, value, &is) == napi_ok && is) return "a typed array";
      if (napi_is_arraybuffer(env, value, &is) == napi_ok && is) return "an ArrayBuffer";
      if (napi_is_dataview(env, value, &is) == napi_ok && is) return "a DataView";
      return "an object";
    }
  }
  return "an unknown value";
}

void ThrowNotInteger(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                     double min, double max) {
  Napi::Env env = info.Env();
  napi_value value = info[i];
  std::string message = Prefix(sig, name) + "an integer from " + Bound(min) + " to " + Bound(max) +
                        ", got " + DescribeValue(env, value);
  napi_valuetype type;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_number) {
    ThrowArgRange(env, message);
  } else {
    ThrowArgType(env, message);
  }
}

void ThrowWrongType(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                    const char* what) {
  ThrowArgType(info.Env(),
               Prefix(sig, name) + what + ", got " + DescribeValue(info.Env(), info[i]));
}

bool ArgBytes(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
              uint8_t** data, size_t* length) {
  napi_typedarray_type type;
  void* base = nullptr;
  size_t count = 0;
  // napi_get_typedarray_info refuses (napi_invalid_arg) anything that is not a typed array.
  if (napi_get_typedarray_info(info.Env(), info[i], &type, &count, &base, nullptr, nullptr) !=
          napi_ok ||
      type != napi_uint8_array) {
    ThrowWrongType(info, i, sig, name, "a Uint8Array");
    return false;
  }
  *data = static_cast<uint8_t*>(base);
  *length = base == nullptr ? 0 : count;
  return true;
}

bool ArgArrayBuffer(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
                    uint8_t** data, size_t* length) {
  void* base = nullptr;
  size_t bytes = 0;
  if (napi_get_arraybuffer_info(info.Env(), info[i], &base, &bytes) != napi_ok) {
    ThrowWrongType(info, i, sig, name, "an ArrayBuffer");
    return false;
  }
  *data = static_cast<uint8_t*>(base);
  *length = base == nullptr ? 0 : bytes;
  return true;
}

bool ArgString(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
               size_t max_bytes, std::string* out) {
  Napi::Env env = info.Env();
  napi_value value = info[i];
  size_t bytes = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &bytes) != napi_ok) {
    ThrowWrongType(info, i, sig, name, "a string");
    return false;
  }
  if (bytes > max_bytes) {
    ThrowArgRange(env, Prefix(sig, name) + "a string of at most " + std::to_string(max_bytes) +
                           " bytes, got " + std::to_string(bytes));
    return false;
  }
  out->resize(bytes + 1);
  napi_get_value_string_utf8(env, value, &(*out)[0], bytes + 1, &bytes);
  out->resize(bytes);
  return true;
}

bool ArgBool(const Napi::CallbackInfo& info, size_t i, const char* sig, const char* name,
             bool* out) {
  if (napi_get_value_bool(info.Env(), info[i], out) != napi_ok) {
    ThrowWrongType(info, i, sig, name, "a boolean");
    return false;
  }
  return true;
}

}  // namespace gatio
