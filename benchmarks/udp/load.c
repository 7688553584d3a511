// UDP echo load generator for `npm run bench:udp` (compiled by run.js with cc -O2).
//   load PORT SIZE SECONDS FLOWS WINDOW [HOST]
// FLOWS connected sockets (distinct source ports, so SO_REUSEPORT spreads them), each keeping up
// to WINDOW datagrams of SIZE bytes in flight: sendmmsg to refill, recvmmsg to drain. A flow that
// hears nothing for 20 ms writes its in-flight datagrams off as lost and refills. After SECONDS
// it stops sending and drains for 200 ms. Prints {"sent":..,"received":..,"seconds":..}.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 32

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char** argv) {
  if (argc < 6) {
    fprintf(stderr, "usage: load PORT SIZE SECONDS FLOWS WINDOW [HOST]\n");
    return 2;
  }
  int port = atoi(argv[1]), size = atoi(argv[2]), flows = atoi(argv[4]), window = atoi(argv[5]);
  double seconds = atof(argv[3]);
  const char* host = argc > 6 ? argv[6] : "127.0.0.1";
  if (flows < 1 || flows > 1024 || window < 1 || size < 1 || size > 65507) return 2;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, host, &to.sin_addr);
  int* fd = calloc(flows, sizeof(int));
  int* inflight = calloc(flows, sizeof(int));
  double* heard = calloc(flows, sizeof(double));
  struct pollfd* pfd = calloc(flows, sizeof(struct pollfd));
  for (int i = 0; i < flows; i++) {
    fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    int buf = 4 << 20;
    setsockopt(fd[i], SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    if (connect(fd[i], (struct sockaddr*)&to, sizeof(to)) < 0) {
      perror("connect");
      return 1;
    }
    pfd[i].fd = fd[i];
    pfd[i].events = POLLIN;
  }
  char* out = calloc(1, size);
  memset(out, 'x', size);
  char* in = calloc(BATCH, 65536);
  struct mmsghdr smsg[BATCH], rmsg[BATCH];
  struct iovec siov[BATCH], riov[BATCH];
  for (int i = 0; i < BATCH; i++) {
    siov[i].iov_base = out;
    siov[i].iov_len = size;
    memset(&smsg[i], 0, sizeof(smsg[i]));
    smsg[i].msg_hdr.msg_iov = &siov[i];
    smsg[i].msg_hdr.msg_iovlen = 1;
    riov[i].iov_base = in + i * 65536;
    riov[i].iov_len = 65536;
    memset(&rmsg[i], 0, sizeof(rmsg[i]));
    rmsg[i].msg_hdr.msg_iov = &riov[i];
    rmsg[i].msg_hdr.msg_iovlen = 1;
  }
  long long sent = 0, received = 0;
  double t0 = now_s(), stop = t0 + seconds, end = stop + 0.2, t = t0;
  for (int i = 0; i < flows; i++) heard[i] = t0;
  while ((t = now_s()) < end) {
    int sending = t < stop;
    for (int i = 0; sending && i < flows; i++) {
      if (inflight[i] > 0 && t - heard[i] > 0.02) {
        inflight[i] = 0;  // written off as lost
        heard[i] = t;
      }
      int want = window - inflight[i];
      if (want > BATCH) want = BATCH;
      if (want <= 0) continue;
      int n = sendmmsg(fd[i], smsg, want, 0);
      if (n > 0) {
        sent += n;
        inflight[i] += n;
      }
    }
    if (poll(pfd, flows, 1) <= 0) continue;
    t = now_s();
    for (int i = 0; i < flows; i++) {
      if (!(pfd[i].revents & POLLIN)) continue;
      int n;
      while ((n = recvmmsg(fd[i], rmsg, BATCH, MSG_DONTWAIT, NULL)) > 0) {
        received += n;
        inflight[i] = inflight[i] > n ? inflight[i] - n : 0;
        heard[i] = t;
      }
    }
  }
  printf("{\"sent\":%lld,\"received\":%lld,\"seconds\":%.4f}\n", sent, received, seconds);
  return 0;
}
