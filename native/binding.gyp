{
  "targets": [{
    "target_name": "gatio",
    "sources": ["src/addon.cc", "src/affinity.cc", "src/errors.cc", "src/js-convert.cc",
                "src/probe.cc", "src/topology.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-std=c++17", "-fvisibility=hidden", "-Wall", "-Wextra"]
  }]
}
