// The one place where a native failure becomes a JavaScript exception. Everything else in
// native/src returns 0 or -errno; the Napi entry points call these helpers exactly once.
#ifndef GATIO_NATIVE_ERRORS_H_
#define GATIO_NATIVE_ERRORS_H_

#include <napi.h>

#include <string>

namespace gatio {

// Throws Error{ code: 'GATIO_ERR_NATIVE', errno, syscall: op }. The TypeScript wrapper turns it
// into NativeError. neg_errno is a negative errno value (liburing convention).
void ThrowErrno(Napi::Env env, int neg_errno, const std::string& op);

// Throws Error{ code: 'GATIO_ERR_INVALID_ARG' } for the cheap C++ guards; TypeScript validates
// first with precise messages, so reaching this means the binding was called directly.
void ThrowInvalidArg(Napi::Env env, const std::string& message);

// Thread-safe strerror.
std::string ErrnoText(int err);

}  // namespace gatio

#endif  // GATIO_NATIVE_ERRORS_H_
