// Verilator run-time library, compiled into the addon (Verilator ships it as source).
#include "verilated_fst_c.cpp"
