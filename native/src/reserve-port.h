// Port reservations: a socket bound (SO_REUSEPORT, never listening) to host:port on the main
// thread, so that `port: 0` gives one ephemeral port which every driver of a service then binds
// into the same SO_REUSEPORT group. The reservation is released once every driver is bound.
#ifndef GATIO_NATIVE_RESERVE_PORT_H_
#define GATIO_NATIVE_RESERVE_PORT_H_

#include <napi.h>

namespace gatio {

// reservePort(host, port, udp) -> [0 or -errno, failing syscall, bound port, handle]
Napi::Value ReservePortJs(const Napi::CallbackInfo& info);
// releasePort(handle): closes the reservation's socket (once; later calls do nothing).
Napi::Value ReleasePortJs(const Napi::CallbackInfo& info);

}  // namespace gatio

#endif  // GATIO_NATIVE_RESERVE_PORT_H_
