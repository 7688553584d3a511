// The one place where a native failure becomes a JavaScript exception. Everything else in
// native/src returns 0 or -errno; the Napi entry points call these helpers exactly once.
//
// Every error thrown here carries a stable `code` and the Symbol.for('gatio.error') brand, so the
// classes of native/ts/errors.ts recognise it with `instanceof` (InvalidArgError, OutOfRangeError,
// FdNotOwnedError, NativeError) although it was created here as a plain TypeError/RangeError/Error.
#ifndef GATIO_NATIVE_ERRORS_H_
#define GATIO_NATIVE_ERRORS_H_

#include <napi.h>

#include <exception>
#include <new>
#include <stdexcept>
#include <string>

namespace gatio {

// Throws Error{ code: 'GATIO_ERR_NATIVE', errno, syscall: op }. The TypeScript wrapper turns it
// into NativeError. neg_errno is a negative errno value (liburing convention).
void ThrowErrno(Napi::Env env, int neg_errno, const std::string& op);

// TypeError{ code: 'GATIO_ERR_INVALID_ARG' }: an argument has the wrong type (or is missing).
// `message` names the function and the argument: "send(fd, id, bytes, offset, length): bytes
// must be a Uint8Array, got a string".
void ThrowArgType(Napi::Env env, const std::string& message);

// RangeError{ code: 'GATIO_ERR_OUT_OF_RANGE' }: an argument has the right type, a wrong value.
void ThrowArgRange(Napi::Env env, const std::string& message);

// RangeError{ code: 'GATIO_ERR_FD_NOT_OWNED', fd }: a ring method was given a file descriptor the
// ring did not open or accept (or already closed); acting on it could close or read another
// component's descriptor (stdin, a log file).
void ThrowFdNotOwned(Napi::Env env, const std::string& where, int fd);

// Allocation failed (std::bad_alloc or std::length_error from a growing table, caught at the
// boundary): Error{ code: 'GATIO_ERR_NATIVE', errno: ENOMEM, syscall: 'allocation' }.
void ThrowNoMemory(Napi::Env env);
// Any other C++ exception caught at the boundary: Error{ code: 'GATIO_ERR_NATIVE' }.
void ThrowCppException(Napi::Env env, const std::exception& e);

// Thread-safe strerror.
std::string ErrnoText(int err);

// Wraps an exported function so that no C++ exception unwinds through N-API: the addon is built
// with NAPI_DISABLE_CPP_EXCEPTIONS, so nothing else would catch it and the process would abort.
// Zero cost unless something throws. Usage: Napi::Function::New(env, Guarded<TopologyJs>, ...).
template <Napi::Value (*F)(const Napi::CallbackInfo&)>
Napi::Value Guarded(const Napi::CallbackInfo& info) {
  try {
    return F(info);
  } catch (const std::bad_alloc&) {
    ThrowNoMemory(info.Env());
  } catch (const std::length_error&) {
    ThrowNoMemory(info.Env());
  } catch (const std::exception& e) {
    ThrowCppException(info.Env(), e);
  }
  return info.Env().Undefined();
}

}  // namespace gatio

#endif  // GATIO_NATIVE_ERRORS_H_
