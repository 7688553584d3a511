#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace gatio {

namespace {

struct Name {
  unsigned value;
  const char* name;
};

#define GATIO_OP(n) \
  { IORING_OP_##n, #n }
// Opcode numbers come from the UAPI header this file is compiled against.
constexpr Name kOpcodes[] = {
    GATIO_OP(NOP),
    GATIO_OP(READV),
    GATIO_OP(WRITEV),
    GATIO_OP(FSYNC),
    GATIO_OP(READ_FIXED),
    GATIO_OP(WRITE_FIXED),
    GATIO_OP(POLL_ADD),
    GATIO_OP(POLL_REMOVE),
    GATIO_OP(SYNC_FILE_RANGE),
    GATIO_OP(SENDMSG),
    GATIO_OP(RECVMSG),
    GATIO_OP(TIMEOUT),
    GATIO_OP(TIMEOUT_REMOVE),
    GATIO_OP(ACCEPT),
    GATIO_OP(ASYNC_CANCEL),
    GATIO_OP(LINK_TIMEOUT),
    GATIO_OP(CONNECT),
    GATIO_OP(FALLOCATE),
    GATIO_OP(OPENAT),
    GATIO_OP(CLOSE),
    GATIO_OP(FILES_UPDATE),
    GATIO_OP(STATX),
    GATIO_OP(READ),
    GATIO_OP(WRITE),
    GATIO_OP(FADVISE),
    GATIO_OP(MADVISE),
    GATIO_OP(SEND),
    GATIO_OP(RECV),
    GATIO_OP(OPENAT2),
    GATIO_OP(EPOLL_CTL),
    GATIO_OP(SPLICE),
    GATIO_OP(PROVIDE_BUFFERS),
    GATIO_OP(REMOVE_BUFFERS),
    GATIO_OP(TEE),
    GATIO_OP(SHUTDOWN),
    GATIO_OP(RENAMEAT),
    GATIO_OP(UNLINKAT),
    GATIO_OP(MKDIRAT),
    GATIO_OP(SYMLINKAT),
    GATIO_OP(LINKAT),
    GATIO_OP(MSG_RING),
    GATIO_OP(FSETXATTR),
    GATIO_OP(SETXATTR),
    GATIO_OP(FGETXATTR),
    GATIO_OP(GETXATTR),
    GATIO_OP(SOCKET),
    GATIO_OP(URING_CMD),
    GATIO_OP(SEND_ZC),
    GATIO_OP(SENDMSG_ZC),
};
#undef GATIO_OP

// Opcodes newer than Debian's 6.1 UAPI header, numbered as in the kernel's include/uapi (stable
// ABI). Used only for numbers the compiled-in header does not know.
constexpr Name kNewerOpcodes[] = {
    {48, "READ_MULTISHOT"}, {49, "WAITID"},      {50, "FUTEX_WAIT"},
    {51, "FUTEX_WAKE"},     {52, "FUTEX_WAITV"}, {53, "FIXED_FD_INSTALL"},
    {54, "FTRUNCATE"},      {55, "BIND"},        {56, "LISTEN"},
    {57, "RECV_ZC"},        {58, "EPOLL_WAIT"},  {59, "READV_FIXED"},
    {60, "WRITEV_FIXED"},   {61, "PIPE"},
};

#define GATIO_FEAT(n) \
  { IORING_FEAT_##n, #n }
constexpr Name kFeatures[] = {
    GATIO_FEAT(SINGLE_MMAP),
    GATIO_FEAT(NODROP),
    GATIO_FEAT(SUBMIT_STABLE),
    GATIO_FEAT(RW_CUR_POS),
    GATIO_FEAT(CUR_PERSONALITY),
    GATIO_FEAT(FAST_POLL),
    GATIO_FEAT(POLL_32BITS),
    GATIO_FEAT(SQPOLL_NONFIXED),
    GATIO_FEAT(EXT_ARG),
    GATIO_FEAT(NATIVE_WORKERS),
    GATIO_FEAT(RSRC_TAGS),
    GATIO_FEAT(CQE_SKIP),
    GATIO_FEAT(LINKED_FILE),
    // Newer than the 6.1 header; values from the kernel's include/uapi/linux/io_uring.h.
    {1U << 13, "REG_REG_RING"},
    {1U << 14, "RECVSEND_BUNDLE"},
    {1U << 15, "MIN_TIMEOUT"},
    {1U << 16, "RW_ATTR"},
    {1U << 17, "NO_IOWAIT"},
};
#undef GATIO_FEAT

constexpr unsigned kProbeOps = 256;
constexpr unsigned kPbufEntries = 8;
constexpr unsigned kPbufGroup = 0x6a7;  // arbitrary buffer group id for the test registration

int Setup(unsigned entries, unsigned flags, struct io_uring_params* params) {
  std::memset(params, 0, sizeof(*params));
  params->flags = flags;
  long fd = syscall(__NR_io_uring_setup, entries, params);
  return fd < 0 ? -errno : static_cast<int>(fd);
}

int Register(int fd, unsigned opcode, void* arg, unsigned nr_args) {
  long rc = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
  return rc < 0 ? -errno : static_cast<int>(rc);
}

const char* Lookup(const Name* table, size_t n, unsigned value) {
  for (size_t i = 0; i < n; i++) {
    if (table[i].value == value) return table[i].name;
  }
  return nullptr;
}

void ProbeOpcodes(int ring_fd, ProbeResult* out) {
  size_t size = sizeof(struct io_uring_probe) + kProbeOps * sizeof(struct io_uring_probe_op);
  auto* probe = static_cast<struct io_uring_probe*>(std::calloc(1, size));
  if (probe == nullptr) {
    out->probe_errno = ENOMEM;
    return;
  }
  int rc = Register(ring_fd, IORING_REGISTER_PROBE, probe, kProbeOps);
  if (rc < 0) {
    out->probe_errno = -rc;
  } else {
    for (unsigned i = 0; i < probe->ops_len && i < kProbeOps; i++) {
      if (!(probe->ops[i].flags & IO_URING_OP_SUPPORTED)) continue;
      unsigned op = probe->ops[i].op;
      const char* name = Lookup(kOpcodes, std::size(kOpcodes), op);
      if (name == nullptr && op >= IORING_OP_LAST) {
        name = Lookup(kNewerOpcodes, std::size(kNewerOpcodes), op);
      }
      out->opcodes.push_back(name != nullptr ? name : "OP_" + std::to_string(op));
    }
  }
  std::free(probe);
}

// Registers and unregisters a small provided buffer ring (IORING_REGISTER_PBUF_RING, 5.19+).
bool ProbePbufRing(int ring_fd) {
  size_t bytes = kPbufEntries * sizeof(struct io_uring_buf);
  void* ring = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (ring == MAP_FAILED) return false;
  struct io_uring_buf_reg reg;
  std::memset(&reg, 0, sizeof(reg));
  reg.ring_addr = reinterpret_cast<unsigned long>(ring);
  reg.ring_entries = kPbufEntries;
  reg.bgid = kPbufGroup;
  bool ok = Register(ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1) == 0;
  if (ok) {
    std::memset(&reg, 0, sizeof(reg));
    reg.bgid = kPbufGroup;
    Register(ring_fd, IORING_UNREGISTER_PBUF_RING, &reg, 1);
  }
  munmap(ring, bytes);
  return ok;
}

int ReadIoUringDisabled() {
  int fd = open("/proc/sys/kernel/io_uring_disabled", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[16] = {0};
  ssize_t n = read(fd, buf, sizeof(buf) - 1);
  close(fd);
  return n > 0 ? std::atoi(buf) : -1;
}

double LimitValue(rlim_t value) { return value == RLIM_INFINITY ? -1 : static_cast<double>(value); }

}  // namespace

void RunProbe(ProbeResult* out) {
  struct utsname uts;
  if (uname(&uts) == 0) out->kernel = uts.release;
  out->io_uring_disabled = ReadIoUringDisabled();
  struct rlimit limit;
  if (getrlimit(RLIMIT_MEMLOCK, &limit) == 0) {
    out->memlock_cur = LimitValue(limit.rlim_cur);
    out->memlock_max = LimitValue(limit.rlim_max);
  }

  struct io_uring_params params;
  int fd = Setup(4, 0, &params);
  if (fd < 0) {
    out->setup_errno = -fd;
    return;
  }
  out->features = params.features;
  for (unsigned bit = 0; bit < 32; bit++) {
    unsigned mask = 1U << bit;
    if (!(params.features & mask)) continue;
    const char* name = Lookup(kFeatures, std::size(kFeatures), mask);
    out->feature_names.push_back(name != nullptr ? name : "BIT_" + std::to_string(bit));
  }
  ProbeOpcodes(fd, out);
  out->provided_buffer_rings = ProbePbufRing(fd);
  close(fd);

  int fd2 = Setup(4, IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN, &params);
  if (fd2 >= 0) {
    out->single_issuer_defer_taskrun = true;
    close(fd2);
  }
}

Napi::Value IoUringProbeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProbeResult probe;
  RunProbe(&probe);
  Napi::Object result = Napi::Object::New(env);
  result.Set("setupErrno", Napi::Number::New(env, probe.setup_errno));
  result.Set("kernel", Napi::String::New(env, probe.kernel));
  result.Set("featureBits", Napi::Number::New(env, probe.features));
  Napi::Array features = Napi::Array::New(env, probe.feature_names.size());
  for (size_t i = 0; i < probe.feature_names.size(); i++) {
    features.Set(static_cast<uint32_t>(i), Napi::String::New(env, probe.feature_names[i]));
  }
  result.Set("features", features);
  Napi::Array opcodes = Napi::Array::New(env, probe.opcodes.size());
  for (size_t i = 0; i < probe.opcodes.size(); i++) {
    opcodes.Set(static_cast<uint32_t>(i), Napi::String::New(env, probe.opcodes[i]));
  }
  result.Set("opcodes", opcodes);
  result.Set("probeErrno", Napi::Number::New(env, probe.probe_errno));
  result.Set("singleIssuerDeferTaskrun",
             Napi::Boolean::New(env, probe.single_issuer_defer_taskrun));
  result.Set("providedBufferRings", Napi::Boolean::New(env, probe.provided_buffer_rings));
  result.Set("ioUringDisabled", Napi::Number::New(env, probe.io_uring_disabled));
  result.Set("memlockCur", Napi::Number::New(env, probe.memlock_cur));
  result.Set("memlockMax", Napi::Number::New(env, probe.memlock_max));
  return result;
}

}  // namespace gatio
