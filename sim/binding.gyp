# Node-API addon around the three Verilated models of sipnic_core (DATA_WIDTH 8, 32 and 64).
# scripts/install.mjs verilates the RTL into build/obj_w8, build/obj_w32 and build/obj_w64 first, then runs
# node-gyp configure + build here; model-sources.mjs lists the generated C++ files.
{
  "variables": {
    "verilator_root": "<!(verilator --getenv VERILATOR_ROOT)",
    "model_sources": ["<!@(node model-sources.mjs)"],
  },
  "targets": [
    {
      "target_name": "sipnic_sim",
      "sources": [
        "src/addon.cpp",
        "src/verilated_rt.cpp",
        "src/verilated_threads_rt.cpp",
        "src/verilated_fst_rt.cpp",
        "<@(model_sources)",
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<(verilator_root)/include",
        "<(verilator_root)/include/vltstd",
        "build/obj_w8",
        "build/obj_w32",
        "build/obj_w64",
      ],
      "defines": [
        "NAPI_CPP_EXCEPTIONS",
        "NAPI_VERSION=8",
        "VM_COVERAGE=0",
        "VM_SC=0",
        "VM_TRACE=1",
        "VM_TRACE_FST=1",
        "VM_TRACE_VCD=0",
      ],
      "defines!": ["__STDC_FORMAT_MACROS"],
      "cflags!": ["-fno-exceptions", "-fno-rtti", "-O3"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O3", "-std=gnu++17", "-std=gnu++20"],
      "cflags": ["-O2", "-pthread"],
      "cflags_cc": [
        "-std=c++17", "-O2", "-pthread", "-fexceptions", "-frtti",
        # as Verilator's own verilated.mk: generated code trips these harmlessly
        "-faligned-new", "-Wno-bool-operation", "-Wno-sign-compare", "-Wno-uninitialized",
        "-Wno-unused-but-set-variable", "-Wno-unused-parameter", "-Wno-unused-variable",
        "-Wno-shadow", "-Wno-cast-function-type",
      ],
      "ldflags": ["-pthread"],
      "libraries": ["-latomic", "-lz"],
    },
  ],
}
