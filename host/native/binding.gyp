# Node-API addon for Linux TAP devices (tap.cpp) and AF_PACKET sockets (packet.cpp), kept apart from sim/'s Verilator addon so
# neither rebuild touches the other. Built by scripts/build-tap.mjs (called from install.mjs).
{
  "targets": [
    {
      "target_name": "sipnic_tap",
      "sources": ["tap.cpp", "packet.cpp"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O2", "-fexceptions", "-Wall", "-Wextra"],
    },
  ],
}
