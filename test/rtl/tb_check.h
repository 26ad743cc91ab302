// CHECK(cond, fmt, ...) for the C++ testbenches: counts passes and failures; prints the first
// 30 failures with file and line (the rest are counted only). Each testbench prints
// "<name>: <g_pass> passed, <g_fail> failed" at the end, which scripts/test-*.sh read.
#pragma once

#include <cstdio>

static int g_pass = 0, g_fail = 0;
#define CHECK(cond, ...)                                    \
    do {                                                    \
        if (cond) {                                         \
            g_pass++;                                       \
        } else {                                            \
            if (g_fail < 30) {                              \
                printf("FAIL %s:%d: ", __FILE__, __LINE__); \
                printf(__VA_ARGS__);                        \
                printf("\n");                               \
            }                                               \
            g_fail++;                                       \
        }                                                   \
    } while (0)
