// Registers the exports, nothing else. Every worker thread that loads it gets its own instance;
// functions act on the calling thread (see affinity.h), and the only state, a `Uring`, lives in
// its object with an env cleanup hook (see uring/uring-object.h). Each function goes through
// Guarded (errors.h), so no C++ exception can unwind through N-API.
#include <napi.h>

#include "affinity.h"
#include "errors.h"
#include "probe.h"
#include "reserve-port.h"
#include "topology.h"
#include "uring/uring-object.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("topology", Napi::Function::New(env, gatio::Guarded<gatio::TopologyJs>, "topology"));
  exports.Set("pinThread",
              Napi::Function::New(env, gatio::Guarded<gatio::PinThreadJs>, "pinThread"));
  exports.Set("threadAffinity",
              Napi::Function::New(env, gatio::Guarded<gatio::ThreadAffinityJs>, "threadAffinity"));
  exports.Set("processAffinity", Napi::Function::New(env, gatio::Guarded<gatio::ProcessAffinityJs>,
                                                     "processAffinity"));
  exports.Set("threadId", Napi::Function::New(env, gatio::Guarded<gatio::ThreadIdJs>, "threadId"));
  exports.Set("yieldThread",
              Napi::Function::New(env, gatio::Guarded<gatio::YieldThreadJs>, "yieldThread"));
  exports.Set("ioUringProbe",
              Napi::Function::New(env, gatio::Guarded<gatio::IoUringProbeJs>, "ioUringProbe"));
  exports.Set("reservePort",
              Napi::Function::New(env, gatio::Guarded<gatio::ReservePortJs>, "reservePort"));
  exports.Set("releasePort",
              Napi::Function::New(env, gatio::Guarded<gatio::ReleasePortJs>, "releasePort"));
  exports.Set("Uring", gatio::uring::UringObject::Define(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(gatio, Init)
