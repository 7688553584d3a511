#include "reserve-port.h"

#include <unistd.h>

#include <cmath>

#include "uring/socket.h"

namespace gatio {

namespace {

// The socket of one reservation; closed by releasePort or, if JS drops the handle, by the
// finalizer (so a forgotten reservation cannot leak the port for the life of the process).
struct Reservation {
  int fd;
};

// Tags the handle so releasePort accepts only handles made here, not any other External.
constexpr napi_type_tag kReservationTag = {0x6761'7469'6f72'7376ULL, 0x7265'7365'7276'6174ULL};

void Finalize(Napi::Env, Reservation* r) {
  if (r->fd >= 0) close(r->fd);
  delete r;
}

}  // namespace

Napi::Value ReservePortJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsBoolean()) {
    Napi::TypeError::New(env, "reservePort(host: string, port: number, udp: boolean)")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  double port = info[1].As<Napi::Number>().DoubleValue();
  if (!(port >= 0 && port <= 65535) || std::floor(port) != port) {
    Napi::RangeError::New(env, "reservePort: port must be an integer from 0 to 65535")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  const char* stage = "";
  int fd = uring::BindSocket(info[0].As<Napi::String>().Utf8Value(), static_cast<int>(port),
                             info[2].As<Napi::Boolean>().Value(), &stage);
  Napi::Array out = Napi::Array::New(env, 4);
  out.Set(1u, Napi::String::New(env, stage));
  if (fd < 0) {
    out.Set(0u, Napi::Number::New(env, fd));
    return out;
  }
  int bound = uring::LocalPort(fd);
  if (bound < 0) {
    close(fd);
    out.Set(0u, Napi::Number::New(env, bound));
    out.Set(1u, Napi::String::New(env, "getsockname"));
    return out;
  }
  auto handle = Napi::External<Reservation>::New(env, new Reservation{fd}, Finalize);
  handle.TypeTag(&kReservationTag);
  out.Set(0u, Napi::Number::New(env, 0));
  out.Set(2u, Napi::Number::New(env, bound));
  out.Set(3u, handle);
  return out;
}

Napi::Value ReleasePortJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsExternal() ||
      !info[0].As<Napi::Object>().CheckTypeTag(&kReservationTag)) {
    Napi::TypeError::New(env, "releasePort(handle): handle must come from reservePort")
        .ThrowAsJavaScriptException();
    return env.Undefined();
  }
  Reservation* r = info[0].As<Napi::External<Reservation>>().Data();
  if (r->fd >= 0) {
    close(r->fd);
    r->fd = -1;
  }
  return env.Undefined();
}

}  // namespace gatio
