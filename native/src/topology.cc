#include "topology.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "affinity.h"
#include "errors.h"
#include "js-convert.h"

namespace gatio {

namespace {

constexpr const char* kNodeDir = "/sys/devices/system/node";
constexpr const char* kCpuDir = "/sys/devices/system/cpu";

int ReadSmallFile(const std::string& path, std::string* text) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  char buf[4096];
  text->clear();
  for (;;) {
    ssize_t n = read(fd, buf, sizeof(buf));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      close(fd);
      return -err;
    }
    if (n == 0) break;
    text->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return 0;
}

// Parses a non-negative decimal at text[*pos], advancing *pos. Returns -1 if none.
long ParseNumber(const std::string& text, size_t* pos) {
  size_t start = *pos;
  long value = 0;
  while (*pos < text.size() && text[*pos] >= '0' && text[*pos] <= '9') {
    value = value * 10 + (text[*pos] - '0');
    if (value >= kMaxCpus) return -1;
    (*pos)++;
  }
  return *pos == start ? -1 : value;
}

// "node12" -> 12; anything else -> -1.
int NodeIdFromName(const char* name) {
  std::string s(name);
  if (s.size() <= 4 || s.compare(0, 4, "node") != 0) return -1;
  size_t pos = 4;
  long id = ParseNumber(s, &pos);
  return pos == s.size() ? static_cast<int>(id) : -1;
}

int ReadNodes(const std::vector<int>& online, std::vector<NodeInfo>* nodes, std::string* op) {
  nodes->clear();
  DIR* dir = opendir(kNodeDir);
  if (dir == nullptr) {
    if (errno != ENOENT) {
      *op = std::string("opendir ") + kNodeDir;
      return -errno;
    }
    // Kernel without NUMA support: one node 0 with every online CPU.
    nodes->push_back(NodeInfo{0, online});
    return 0;
  }
  int rc = 0;
  while (struct dirent* entry = readdir(dir)) {
    int id = NodeIdFromName(entry->d_name);
    if (id < 0) continue;
    NodeInfo node{id, {}};
    std::string path = std::string(kNodeDir) + "/" + entry->d_name + "/cpulist";
    rc = ReadCpuListFile(path, &node.cpus);
    if (rc < 0) {
      *op = "read " + path;
      break;
    }
    nodes->push_back(std::move(node));
  }
  closedir(dir);
  if (rc < 0) return rc;
  if (nodes->empty()) nodes->push_back(NodeInfo{0, online});
  std::sort(nodes->begin(), nodes->end(),
            [](const NodeInfo& a, const NodeInfo& b) { return a.id < b.id; });
  return 0;
}

int ReadSmt(const std::vector<int>& online, std::vector<std::vector<int>>* groups,
            std::string* op) {
  groups->clear();
  for (int cpu : online) {
    std::string path =
        std::string(kCpuDir) + "/cpu" + std::to_string(cpu) + "/topology/thread_siblings_list";
    std::vector<int> siblings;
    int rc = ReadCpuListFile(path, &siblings);
    if (rc == -ENOENT) {
      siblings = {cpu};
    } else if (rc < 0) {
      *op = "read " + path;
      return rc;
    }
    std::vector<int> group;
    for (int s : siblings) {
      if (std::binary_search(online.begin(), online.end(), s)) group.push_back(s);
    }
    if (group.empty()) group.push_back(cpu);
    if (std::find(groups->begin(), groups->end(), group) == groups->end()) {
      groups->push_back(std::move(group));
    }
  }
  std::sort(groups->begin(), groups->end());
  return 0;
}

}  // namespace

int ParseCpuList(const std::string& text, std::vector<int>* cpus) {
  cpus->clear();
  size_t pos = 0;
  size_t end = text.find_last_not_of(" \n\t");
  std::string body = end == std::string::npos ? std::string() : text.substr(0, end + 1);
  while (pos < body.size()) {
    long first = ParseNumber(body, &pos);
    if (first < 0) return -EINVAL;
    long last = first;
    if (pos < body.size() && body[pos] == '-') {
      pos++;
      last = ParseNumber(body, &pos);
      if (last < first) return -EINVAL;
    }
    for (long cpu = first; cpu <= last; cpu++) cpus->push_back(static_cast<int>(cpu));
    if (pos < body.size()) {
      if (body[pos] != ',') return -EINVAL;
      pos++;
    }
  }
  std::sort(cpus->begin(), cpus->end());
  cpus->erase(std::unique(cpus->begin(), cpus->end()), cpus->end());
  return 0;
}

int ReadCpuListFile(const std::string& path, std::vector<int>* cpus) {
  std::string text;
  int rc = ReadSmallFile(path, &text);
  if (rc < 0) return rc;
  return ParseCpuList(text, cpus);
}

int ReadTopology(TopologyInfo* out, std::string* op) {
  std::string online_path = std::string(kCpuDir) + "/online";
  int rc = ReadCpuListFile(online_path, &out->online);
  if (rc < 0) {
    *op = "read " + online_path;
    return rc;
  }
  // The process-wide set: the main thread's mask (tid == pid). pid 0 would give the calling
  // thread's mask, which is narrower once a worker has pinned itself.
  rc = GetAffinity(getpid(), &out->allowed);
  if (rc < 0) {
    *op = "sched_getaffinity";
    return rc;
  }
  rc = ReadNodes(out->online, &out->nodes, op);
  if (rc < 0) return rc;
  return ReadSmt(out->online, &out->smt, op);
}

Napi::Value TopologyJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  TopologyInfo topo;
  std::string op;
  int rc = ReadTopology(&topo, &op);
  if (rc < 0) {
    ThrowErrno(env, rc, op);
    return env.Undefined();
  }
  Napi::Array nodes = Napi::Array::New(env, topo.nodes.size());
  for (size_t i = 0; i < topo.nodes.size(); i++) {
    Napi::Object node = Napi::Object::New(env);
    node.Set("id", Napi::Number::New(env, topo.nodes[i].id));
    node.Set("cpus", FromIntVector(env, topo.nodes[i].cpus));
    nodes.Set(static_cast<uint32_t>(i), node);
  }
  Napi::Array smt = Napi::Array::New(env, topo.smt.size());
  for (size_t i = 0; i < topo.smt.size(); i++) {
    smt.Set(static_cast<uint32_t>(i), FromIntVector(env, topo.smt[i]));
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("nodes", nodes);
  result.Set("online", FromIntVector(env, topo.online));
  result.Set("allowed", FromIntVector(env, topo.allowed));
  result.Set("smt", smt);
  return result;
}

}  // namespace gatio
