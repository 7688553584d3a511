// Reference "floor" for `npm run bench:net` (compiled by run.js with cc -O2): about what a
// single-threaded server on io_uring with almost no user-space work spends per request, to show
// how close Gatio gets (a reference, not a proven lower bound).
//   uring-floor resp|http|echo PORT
// Listens on 127.0.0.1:PORT, prints "listening", runs until SIGTERM/SIGINT (default action).
// One ring (single issuer, deferred task work), multishot accept, multishot recv from a provided
// buffer ring, and after each completion batch one send per connection with output. No liburing:
// the rings are mapped here. Protocols are just enough for redis-benchmark/redis-cli, wrk/curl
// and echo-client.js.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#define SQ_ENTRIES 512
#define NBUF 1024  // provided buffers (power of two)
#define BUFSZ (16 * 1024)
#define BGID 1
#define OUT_START (64 * 1024)
#define MAX_ARGS 8

enum { OP_ACCEPT = 1, OP_RECV, OP_SEND };
enum { RESP, HTTP, ECHO };

struct buf {
  char* p;
  size_t len, cap;
};

struct conn {
  int fd;
  struct buf in;      // resp: a partial command left from the last recv
  struct buf out;     // replies not yet handed to the kernel
  struct buf flight;  // the send in flight: the kernel reads it until its CQE, so no realloc
  size_t flight_off;  // bytes of flight already sent (partial sends)
  int http_state;     // http: how much of "\r\n\r\n" the bytes so far end with
  char sending, recv_done, dead, dirty;
};

static int mode, ring_fd, listen_fd;
static unsigned *sq_tail, sq_local_tail, sq_mask, sq_pending, *cq_head, *cq_tail, cq_mask;
static struct io_uring_sqe* sqes;
static struct io_uring_cqe* cqes;
static struct io_uring_buf_ring* br;
static char* bufs;
static uint16_t br_tail;
static struct conn** conns;  // by fd
static int nconns_cap;
static int* dirty;  // fds with new output this batch
static int ndirty, dirty_cap;

static void die(const char* what) {
  perror(what);
  exit(1);
}

static void out_put(struct buf* b, const void* p, size_t n) {
  if (b->len + n > b->cap) {
    while (b->len + n > b->cap) b->cap = b->cap ? b->cap * 2 : OUT_START;
    if (!(b->p = realloc(b->p, b->cap))) die("realloc");
  }
  memcpy(b->p + b->len, p, n);
  b->len += n;
}
#define PUT(c, s) out_put(&(c)->out, s, sizeof(s) - 1)

static int enter(unsigned submit, unsigned wait, unsigned flags) {
  return syscall(__NR_io_uring_enter, ring_fd, submit, wait, flags, NULL, 0);
}

// Publishes the queued SQEs; the kernel reads them in the next io_uring_enter.
static void publish(void) { __atomic_store_n(sq_tail, sq_local_tail, __ATOMIC_RELEASE); }

static struct io_uring_sqe* get_sqe(void) {
  if (sq_pending > sq_mask) {  // SQ full: hand what is queued to the kernel first
    publish();
    if (enter(sq_pending, 0, 0) < 0) die("io_uring_enter");
    sq_pending = 0;
  }
  struct io_uring_sqe* sqe = &sqes[sq_local_tail++ & sq_mask];
  memset(sqe, 0, sizeof(*sqe));
  sq_pending++;
  return sqe;
}

static void arm_accept(void) {
  struct io_uring_sqe* s = get_sqe();
  s->opcode = IORING_OP_ACCEPT;
  s->fd = listen_fd;
  s->ioprio = IORING_ACCEPT_MULTISHOT;
  s->user_data = (uint64_t)OP_ACCEPT << 32;
}

static void arm_recv(struct conn* c) {
  struct io_uring_sqe* s = get_sqe();
  s->opcode = IORING_OP_RECV;
  s->fd = c->fd;
  s->flags = IOSQE_BUFFER_SELECT;
  s->buf_group = BGID;
  s->ioprio = IORING_RECV_MULTISHOT;
  s->user_data = (uint64_t)OP_RECV << 32 | (unsigned)c->fd;
}

static void send_flight(struct conn* c) {
  struct io_uring_sqe* s = get_sqe();
  s->opcode = IORING_OP_SEND;
  s->fd = c->fd;
  s->addr = (uintptr_t)(c->flight.p + c->flight_off);
  s->len = c->flight.len - c->flight_off;
  s->msg_flags = MSG_NOSIGNAL;
  s->user_data = (uint64_t)OP_SEND << 32 | (unsigned)c->fd;
  c->sending = 1;
}

static void give_back(unsigned bid) {
  struct io_uring_buf* b = &br->bufs[br_tail & (NBUF - 1)];
  b->addr = (uintptr_t)(bufs + (size_t)bid * BUFSZ);
  b->len = BUFSZ;
  b->bid = bid;
  __atomic_store_n(&br->tail, ++br_tail, __ATOMIC_RELEASE);
}

static void mark_dirty(struct conn* c) {
  if (c->dirty) return;
  c->dirty = 1;
  if (ndirty == dirty_cap) {
    dirty_cap = dirty_cap ? dirty_cap * 2 : 256;
    if (!(dirty = realloc(dirty, dirty_cap * sizeof(int)))) die("realloc");
  }
  dirty[ndirty++] = c->fd;
}

// Closed once nothing of it is in the kernel any more (recv ended, no send in flight), so no
// later CQE names this fd number, which accept may hand out again right away.
static void maybe_close(struct conn* c) {
  if (!c->recv_done || c->sending || (c->out.len && !c->dead)) return;
  close(c->fd);
  conns[c->fd] = NULL;
  free(c->in.p);
  free(c->out.p);
  free(c->flight.p);
  free(c);
}

// Ends a connection we cannot serve (protocol error, failed send): the shutdown ends its recv.
static void kill_conn(struct conn* c) {
  c->dead = 1;
  c->out.len = 0;
  shutdown(c->fd, SHUT_RDWR);
}

// --- resp: a hash table for SET/GET (open addressing, linear probing) ---
struct entry {
  char *key, *val;
  size_t klen, vlen;
};
static struct entry* tab;
static size_t tab_cap, tab_used;

static uint64_t hash(const char* p, size_t n) {
  uint64_t h = 1469598103934665603ULL;  // FNV-1a
  while (n--) h = (h ^ (unsigned char)*p++) * 1099511628211ULL;
  return h;
}

static struct entry* lookup(const char* k, size_t n) {
  for (size_t i = hash(k, n) & (tab_cap - 1);; i = (i + 1) & (tab_cap - 1))
    if (!tab[i].key || (tab[i].klen == n && !memcmp(tab[i].key, k, n))) return &tab[i];
}

static void ht_set(const char* k, size_t kn, const char* v, size_t vn) {
  if ((tab_used + 1) * 10 > tab_cap * 7) {  // grow at 70% load
    struct entry* old = tab;
    size_t n = tab_cap;
    tab_cap = tab_cap ? tab_cap * 2 : 1024;
    if (!(tab = calloc(tab_cap, sizeof(*tab)))) die("calloc");
    for (size_t i = 0; i < n; i++)
      if (old[i].key) *lookup(old[i].key, old[i].klen) = old[i];
    free(old);
  }
  struct entry* e = lookup(k, kn);
  if (!e->key) {
    e->key = malloc(kn ? kn : 1);
    memcpy(e->key, k, kn);
    e->klen = kn;
    tab_used++;
  }
  e->val = realloc(e->val, vn ? vn : 1);
  memcpy(e->val, v, vn);
  e->vlen = vn;
}

static void put_bulk(struct conn* c, const char* p, size_t n) {
  char head[32];
  out_put(&c->out, head, snprintf(head, sizeof(head), "$%zu\r\n", n));
  out_put(&c->out, p, n);
  PUT(c, "\r\n");
}

static int is(const char* a, size_t n, const char* cmd) {
  return n == strlen(cmd) && !strncasecmp(a, cmd, n);
}

static void run_command(struct conn* c, int argc, const char** argv, const size_t* len) {
  if (is(argv[0], len[0], "PING")) {
    PUT(c, "+PONG\r\n");
  } else if (is(argv[0], len[0], "SET") && argc >= 3) {
    ht_set(argv[1], len[1], argv[2], len[2]);
    PUT(c, "+OK\r\n");
  } else if (is(argv[0], len[0], "GET") && argc == 2) {
    struct entry* e = tab_cap ? lookup(argv[1], len[1]) : NULL;
    if (e && e->key)
      put_bulk(c, e->val, e->vlen);
    else
      PUT(c, "$-1\r\n");
  } else if (is(argv[0], len[0], "CONFIG") && argc >= 3) {  // redis-benchmark: save, appendonly
    PUT(c, "*2\r\n");
    put_bulk(c, argv[2], len[2]);
    PUT(c, "$0\r\n\r\n");
  } else {
    PUT(c, "-ERR unknown command\r\n");
  }
}

// An integer ending in CRLF at p[*i]: 1 and *i past the CRLF, 0 if incomplete, -1 if malformed.
static int read_int(const char* p, size_t n, size_t* i, long* v) {
  long x = 0;
  size_t j = *i;
  for (; j < n && p[j] >= '0' && p[j] <= '9'; j++)
    if ((x = x * 10 + (p[j] - '0')) > (1L << 30)) return -1;
  if (j + 1 >= n) return j - *i > 12 ? -1 : 0;
  if (j == *i || p[j] != '\r' || p[j + 1] != '\n') return -1;
  *i = j + 2;
  *v = x;
  return 1;
}

// Runs every complete command in p[0..n); returns the bytes used (a partial command is left),
// or -1 on a protocol error.
static long resp_parse(struct conn* c, const char* p, size_t n) {
  size_t pos = 0;
  while (pos < n) {
    size_t i = pos + 1;
    long argc, len;
    const char* argv[MAX_ARGS];
    size_t lens[MAX_ARGS];
    int r;
    if (p[pos] != '*') {  // an inline command (PING_INLINE): words up to LF
      const char* lf = memchr(p + pos, '\n', n - pos);
      if (!lf) return n - pos > 65536 ? -1 : (long)pos;
      argc = 0;
      for (const char* q = p + pos; q < lf && argc < MAX_ARGS;) {
        while (q < lf && (*q == ' ' || *q == '\r')) q++;
        const char* w = q;
        while (q < lf && *q != ' ' && *q != '\r') q++;
        if (q > w) argv[argc] = w, lens[argc++] = q - w;
      }
      if (argc) run_command(c, argc, argv, lens);
      pos = lf + 1 - p;
      continue;
    }
    if ((r = read_int(p, n, &i, &argc)) <= 0) return r ? -1 : (long)pos;
    if (argc < 1) return -1;
    for (long k = 0; k < argc; k++) {
      if (i >= n) return pos;
      if (p[i++] != '$') return -1;
      if ((r = read_int(p, n, &i, &len)) <= 0) return r ? -1 : (long)pos;
      if (i + len + 2 > n) return pos;
      if (p[i + len] != '\r' || p[i + len + 1] != '\n') return -1;
      if (k < MAX_ARGS) argv[k] = p + i, lens[k] = len;
      i += len + 2;
    }
    run_command(c, argc < MAX_ARGS ? argc : MAX_ARGS, argv, lens);
    pos = i;
  }
  return pos;
}

static const char HTTP_OK[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n"
    "Connection: keep-alive\r\n\r\nHello, World!";  // the bytes examples/http/handler.js sends

static void on_data(struct conn* c, const char* p, size_t n) {
  if (mode == ECHO) {
    out_put(&c->out, p, n);
  } else if (mode == HTTP) {  // one answer per request head (GETs without bodies, as wrk sends)
    int st = c->http_state;
    for (size_t i = 0; i < n; i++) {
      if (p[i] == '\r') {
        st = st == 2 ? 3 : 1;
      } else if (p[i] == '\n' && st == 1) {
        st = 2;
      } else if (p[i] == '\n' && st == 3) {
        PUT(c, HTTP_OK);
        st = 0;
      } else {
        st = 0;
      }
    }
    c->http_state = st;
  } else if (!c->in.len) {  // resp: parse straight from the recv buffer, keep only a partial tail
    long used = resp_parse(c, p, n);
    if (used < 0) {
      kill_conn(c);
      return;
    }
    if ((size_t)used < n) out_put(&c->in, p + used, n - used);
  } else {
    out_put(&c->in, p, n);
    long used = resp_parse(c, c->in.p, c->in.len);
    if (used < 0) {
      kill_conn(c);
      return;
    }
    memmove(c->in.p, c->in.p + used, c->in.len - used);
    c->in.len -= used;
  }
  if (c->out.len) mark_dirty(c);
}

static void on_cqe(const struct io_uring_cqe* cqe) {
  int op = cqe->user_data >> 32, fd = (int)(uint32_t)cqe->user_data, res = cqe->res;
  int more = cqe->flags & IORING_CQE_F_MORE;
  struct conn* c = op == OP_ACCEPT ? NULL : conns[fd];
  if (op == OP_ACCEPT) {
    if (res >= 0) {
      if (res >= nconns_cap) {
        int n = nconns_cap;
        while (res >= nconns_cap) nconns_cap = nconns_cap ? nconns_cap * 2 : 1024;
        if (!(conns = realloc(conns, nconns_cap * sizeof(*conns)))) die("realloc");
        memset(conns + n, 0, (nconns_cap - n) * sizeof(*conns));
      }
      int one = 1;  // replies go out once per batch anyway; don't let Nagle hold them
      setsockopt(res, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      if (!(c = conns[res] = calloc(1, sizeof(*c)))) die("calloc");
      c->fd = res;
      arm_recv(c);
    }
    if (!more) arm_accept();
  } else if (op == OP_RECV) {
    if (cqe->flags & IORING_CQE_F_BUFFER) {
      unsigned bid = cqe->flags >> IORING_CQE_BUFFER_SHIFT;
      if (res > 0 && !c->dead) on_data(c, bufs + (size_t)bid * BUFSZ, res);
      give_back(bid);  // right away: the data was copied or answered
    }
    if (more) return;
    if (res > 0 || res == -ENOBUFS) {  // ended early (e.g. no buffer free): go on
      arm_recv(c);
      return;
    }
    c->recv_done = 1;  // EOF or error
    if (res < 0) kill_conn(c);
    maybe_close(c);
  } else if (op == OP_SEND) {
    c->sending = 0;
    if (res < 0) {
      kill_conn(c);
      maybe_close(c);
      return;
    }
    c->flight_off += res;
    if (c->flight_off < c->flight.len && !c->dead) {
      send_flight(c);  // partial send: the rest, from where it stopped
      return;
    }
    c->flight.len = c->flight_off = 0;
    if (c->out.len)
      mark_dirty(c);
    else
      maybe_close(c);
  }
}

// One send per connection with output and none in flight: the output becomes the flight buffer.
static void flush(void) {
  for (int i = 0; i < ndirty; i++) {
    struct conn* c = conns[dirty[i]];
    if (!c) continue;
    c->dirty = 0;
    if (c->sending || !c->out.len || c->dead) continue;
    struct buf t = c->flight;
    c->flight = c->out;
    c->out = t;
    c->out.len = c->flight_off = 0;
    send_flight(c);
  }
  ndirty = 0;
}

static void setup_ring(void) {
  struct io_uring_params p = {0};
  p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
  p.cq_entries = SQ_ENTRIES * 4;
  ring_fd = syscall(__NR_io_uring_setup, SQ_ENTRIES, &p);
  if (ring_fd < 0) die("io_uring_setup (single issuer + defer taskrun needs Linux >= 6.1)");
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  if (p.features & IORING_FEAT_SINGLE_MMAP)
    sq_size = cq_size = sq_size > cq_size ? sq_size : cq_size;
  char* sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd,
                  IORING_OFF_SQ_RING);
  char* cq = p.features & IORING_FEAT_SINGLE_MMAP
                 ? sq
                 : mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd,
                        IORING_OFF_CQ_RING);
  sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE,
              MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
  if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) die("mmap ring");
  sq_tail = (unsigned*)(sq + p.sq_off.tail);
  sq_mask = *(unsigned*)(sq + p.sq_off.ring_mask);
  unsigned* array = (unsigned*)(sq + p.sq_off.array);
  for (unsigned i = 0; i < p.sq_entries; i++) array[i] = i;  // SQ slot i always holds SQE i
  cq_head = (unsigned*)(cq + p.cq_off.head);
  cq_tail = (unsigned*)(cq + p.cq_off.tail);
  cq_mask = *(unsigned*)(cq + p.cq_off.ring_mask);
  cqes = (struct io_uring_cqe*)(cq + p.cq_off.cqes);

  // Provided buffer ring: NBUF entries of BUFSZ bytes, all handed to the kernel.
  br = mmap(NULL, NBUF * sizeof(struct io_uring_buf), PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  bufs =
      mmap(NULL, (size_t)NBUF * BUFSZ, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (br == MAP_FAILED || bufs == MAP_FAILED) die("mmap buffers");
  struct io_uring_buf_reg reg = {.ring_addr = (uintptr_t)br, .ring_entries = NBUF, .bgid = BGID};
  if (syscall(__NR_io_uring_register, ring_fd, IORING_REGISTER_PBUF_RING, &reg, 1) < 0)
    die("IORING_REGISTER_PBUF_RING");
  for (unsigned i = 0; i < NBUF; i++) give_back(i);
}

int main(int argc, char** argv) {
  if (argc != 3 ||
      (strcmp(argv[1], "resp") && strcmp(argv[1], "http") && strcmp(argv[1], "echo"))) {
    fprintf(stderr, "usage: uring-floor resp|http|echo PORT\n");
    return 2;
  }
  mode = !strcmp(argv[1], "resp") ? RESP : !strcmp(argv[1], "http") ? HTTP : ECHO;
  listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[2]))};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(listen_fd, (struct sockaddr*)&a, sizeof(a)) < 0) die("bind");
  if (listen(listen_fd, 4096) < 0) die("listen");
  setup_ring();
  arm_accept();
  printf("listening %s on 127.0.0.1:%s\n", argv[1], argv[2]);
  fflush(stdout);
  for (;;) {
    // Submit what the last batch queued and wait for at least one completion, in one syscall.
    publish();
    int r = enter(sq_pending, 1, IORING_ENTER_GETEVENTS);
    if (r < 0 && errno != EINTR && errno != EAGAIN && errno != EBUSY) die("io_uring_enter");
    if (r >= 0) sq_pending -= (unsigned)r < sq_pending ? (unsigned)r : sq_pending;
    unsigned head = *cq_head, tail = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
    for (; head != tail; head++) on_cqe(&cqes[head & cq_mask]);
    __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
    flush();
  }
}
