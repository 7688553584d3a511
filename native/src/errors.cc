#include "errors.h"

#include <string.h>

namespace gatio {

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r: returns a pointer to the message, which may or may not be buf.
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

void ThrowErrno(Napi::Env env, int neg_errno, const std::string& op) {
  int err = neg_errno < 0 ? -neg_errno : neg_errno;
  Napi::Error error =
      Napi::Error::New(env, "GATIO_ERR_NATIVE: " + op + " failed: " + ErrnoText(err) + " (errno " +
                                std::to_string(err) + ")");
  error.Set("code", Napi::String::New(env, "GATIO_ERR_NATIVE"));
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, op));
  error.ThrowAsJavaScriptException();
}

void ThrowInvalidArg(Napi::Env env, const std::string& message) {
  Napi::Error error = Napi::TypeError::New(env, "GATIO_ERR_INVALID_ARG: " + message);
  error.Set("code", Napi::String::New(env, "GATIO_ERR_INVALID_ARG"));
  error.ThrowAsJavaScriptException();
}

}  // namespace gatio
