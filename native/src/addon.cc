// Registers the exports, nothing else. The addon keeps no state: every worker thread that loads it
// gets its own instance, and each function acts on the calling thread (see affinity.h).
#include <napi.h>

#include "affinity.h"
#include "probe.h"
#include "topology.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("topology", Napi::Function::New(env, gatio::TopologyJs, "topology"));
  exports.Set("pinThread", Napi::Function::New(env, gatio::PinThreadJs, "pinThread"));
  exports.Set("threadAffinity",
              Napi::Function::New(env, gatio::ThreadAffinityJs, "threadAffinity"));
  exports.Set("processAffinity",
              Napi::Function::New(env, gatio::ProcessAffinityJs, "processAffinity"));
  exports.Set("threadId", Napi::Function::New(env, gatio::ThreadIdJs, "threadId"));
  exports.Set("ioUringProbe", Napi::Function::New(env, gatio::IoUringProbeJs, "ioUringProbe"));
  return exports;
}

}  // namespace

NODE_API_MODULE(gatio, Init)
