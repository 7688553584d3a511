{
  "targets": [{
    "target_name": "gatio",
    "sources": ["src/addon.cc", "src/affinity.cc", "src/args.cc", "src/errors.cc", "src/js-convert.cc",
                "src/probe.cc", "src/reserve-port.cc", "src/topology.cc",
                "src/uring/ring.cc", "src/uring/buf-ring.cc", "src/uring/accept.cc",
                "src/uring/recv.cc", "src/uring/send.cc", "src/uring/close.cc",
                "src/uring/cancel.cc", "src/uring/timeout.cc", "src/uring/shutdown.cc",
                "src/uring/socket.cc", "src/uring/uring-object.cc",
                "src/uring/recvmsg-multishot.cc", "src/uring/sendmsg.cc", "src/uring/send-batch.cc",
                "src/uring/uring-object-udp.cc", "src/uring/uring-object-send.cc",
                "src/uring/uring-object-ops.cc", "src/uring/uring-object-teardown.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS",
                "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-fvisibility=hidden", "-Wall", "-Wextra"]
  }]
}
