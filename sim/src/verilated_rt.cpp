// Verilator run-time library, compiled into the addon (Verilator ships it as source).
// $finish, $stop and fatal errors must not end the Node process: they mark the context
// finished (the harness turns that into a JS error) and a fatal error throws.
#define VL_USER_FINISH
#define VL_USER_STOP
#define VL_USER_FATAL
#include "verilated.cpp"

#include <stdexcept>
#include <string>

static std::string where(const char* filename, int linenum) {
  return filename && filename[0] ? std::string(filename) + ":" + std::to_string(linenum) + ": " : std::string();
}

void vl_finish(const char* filename, int linenum, const char* hier) VL_MT_UNSAFE {
  (void)hier;
  VL_PRINTF("- %s$finish\n", where(filename, linenum).c_str());
  Verilated::threadContextp()->gotFinish(true);
}

void vl_stop(const char* filename, int linenum, const char* hier) VL_MT_UNSAFE {
  (void)hier;
  VL_PRINTF("%%Error: %s$stop\n", where(filename, linenum).c_str());
  Verilated::threadContextp()->gotError(true);
  Verilated::threadContextp()->gotFinish(true);
}

void vl_fatal(const char* filename, int linenum, const char* hier, const char* msg) VL_MT_UNSAFE {
  (void)hier;
  Verilated::threadContextp()->gotError(true);
  Verilated::threadContextp()->gotFinish(true);
  throw std::runtime_error("Verilator: " + where(filename, linenum) + (msg ? msg : "fatal error"));
}
