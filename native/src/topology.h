// Machine topology from sysfs: NUMA nodes with their CPUs, online CPUs, the process's allowed CPUs
// and SMT sibling groups. Read-only; nothing is cached, so every call sees hot-plug changes.
#ifndef GATIO_NATIVE_TOPOLOGY_H_
#define GATIO_NATIVE_TOPOLOGY_H_

#include <napi.h>

#include <string>
#include <vector>

namespace gatio {

struct NodeInfo {
  int id;
  std::vector<int> cpus;  // ascending
};

struct TopologyInfo {
  std::vector<NodeInfo> nodes;        // ascending id
  std::vector<int> online;            // /sys/devices/system/cpu/online
  std::vector<int> allowed;           // sched_getaffinity of the process (its main thread)
  std::vector<std::vector<int>> smt;  // sibling groups of online CPUs, deduplicated
};

// Parses a sysfs cpulist ("0-3,8,10-11\n") into ascending, unique CPU ids. Returns 0 or -EINVAL.
int ParseCpuList(const std::string& text, std::vector<int>* cpus);

// Reads and parses a cpulist file. Returns 0 or -errno.
int ReadCpuListFile(const std::string& path, std::vector<int>* cpus);

// Fills `out`. Returns 0 or -errno, with `op` naming what failed.
int ReadTopology(TopologyInfo* out, std::string* op);

Napi::Value TopologyJs(const Napi::CallbackInfo& info);

}  // namespace gatio

#endif  // GATIO_NATIVE_TOPOLOGY_H_
