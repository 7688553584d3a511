#include "reserve-port.h"

#include <unistd.h>

#include "args.h"
#include "errors.h"
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
  static constexpr const char* kSig = "reservePort(host, port, udp)";
  std::string host;
  double port;
  bool udp;
  if (!ArgString(info, 0, kSig, "host", 64, &host) ||
      !ArgInteger(info, 1, kSig, "port", 0, 65535, &port) || !ArgBool(info, 2, kSig, "udp", &udp)) {
    return env.Undefined();
  }
  const char* stage = "";
  int fd = uring::BindSocket(host, static_cast<int>(port), udp, &stage);
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
    ThrowWrongType(info, 0, "releasePort(handle)", "handle", "a handle from reservePort");
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
