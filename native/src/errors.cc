#include "errors.h"

#include <errno.h>
#include <string.h>

namespace gatio {

namespace {

// Sets `code` and the brand that native/ts/errors.ts's Symbol.hasInstance looks for, then throws.
// Only runs when something is wrong, so the Symbol.for lookup costs nothing on the hot paths.
// The callers check IsExceptionPending first (Pending below): an exception already on its way (a
// getter that threw) is the one JavaScript sees.
void Throw(Napi::Env env, Napi::Error error, const char* code) {
  error.Set("code", Napi::String::New(env, code));
  Napi::Symbol brand = Napi::Symbol::For(env, "gatio.error");
  if (!brand.IsEmpty()) {
    error.Value().DefineProperty(
        Napi::PropertyDescriptor::Value(brand, Napi::Boolean::New(env, true)));
  }
  error.ThrowAsJavaScriptException();
}

bool Pending(Napi::Env env) {
  bool pending = false;
  return napi_is_exception_pending(env, &pending) != napi_ok || pending;
}

}  // namespace

std::string ErrnoText(int err) {
  char buf[128];
  // GNU strerror_r: returns a pointer to the message, which may or may not be buf.
  return std::string(strerror_r(err, buf, sizeof(buf)));
}

void ThrowErrno(Napi::Env env, int neg_errno, const std::string& op) {
  if (Pending(env)) return;
  int err = neg_errno < 0 ? -neg_errno : neg_errno;
  Napi::Error error =
      Napi::Error::New(env, "GATIO_ERR_NATIVE: " + op + " failed: " + ErrnoText(err) + " (errno " +
                                std::to_string(err) + ")");
  error.Set("errno", Napi::Number::New(env, err));
  error.Set("syscall", Napi::String::New(env, op));
  Throw(env, error, "GATIO_ERR_NATIVE");
}

void ThrowArgType(Napi::Env env, const std::string& message) {
  if (Pending(env)) return;
  Throw(env, Napi::TypeError::New(env, "GATIO_ERR_INVALID_ARG: " + message),
        "GATIO_ERR_INVALID_ARG");
}

void ThrowArgRange(Napi::Env env, const std::string& message) {
  if (Pending(env)) return;
  Throw(env, Napi::RangeError::New(env, "GATIO_ERR_OUT_OF_RANGE: " + message),
        "GATIO_ERR_OUT_OF_RANGE");
}

void ThrowFdNotOwned(Napi::Env env, const std::string& where, int fd) {
  if (Pending(env)) return;
  Napi::Error error = Napi::RangeError::New(
      env, "GATIO_ERR_FD_NOT_OWNED: " + where + ": fd " + std::to_string(fd) +
               " is not a socket this ring opened or accepted (or it was closed already)");
  error.Set("fd", Napi::Number::New(env, fd));
  Throw(env, error, "GATIO_ERR_FD_NOT_OWNED");
}

void ThrowNoMemory(Napi::Env env) { ThrowErrno(env, -ENOMEM, "allocation"); }

void ThrowCppException(Napi::Env env, const std::exception& e) {
  if (Pending(env)) return;
  Throw(env, Napi::Error::New(env, std::string("GATIO_ERR_NATIVE: ") + e.what()),
        "GATIO_ERR_NATIVE");
}

}  // namespace gatio
