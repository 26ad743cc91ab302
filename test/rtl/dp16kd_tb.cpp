// Unit testbench of the DP16KD block RAM model (sim/ecp5/DP16KD.v) that the gate-level runs
// put under yosys's netlists (scripts/gate-level.mjs). Top: test/rtl/dp16kd_tb_top.v, one
// model per configuration on shared pins.
//
// Directed checks, with the values written out, of what Lattice's memory usage guide (TN1264)
// says: read latency, NORMAL / WRITETHROUGH / READBEFOREWRITE, x18 and x36 byte enables,
// the address bits each width uses, clock enables, chip select, OUTREG and OCE, synchronous
// and asynchronous reset, INITVAL; then the model's own layout choices for mixed widths and
// its same-edge collision rule; then a long random run of the two configurations yosys uses
// for sipnic (x18/x18 READBEFOREWRITE and x36 pseudo-dual-port) against a small reference.
// Built twice by scripts/gate-level.mjs: as is, a x36 read is {DOA, DOB} (nextpnr's order);
// with -DDP16KD_X36_READ_LOW_ON_DOA (and the model's define of that name) {DOB, DOA}, yosys's
// (docs/gate-level.md).
#include <verilated.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <random>

#include "Vdp16kd_tb_top.h"
#include "tb_check.h"

namespace {

struct Halves {
    uint32_t a, b;  // DOA, DOB
};

Halves halves(uint64_t v) { return {static_cast<uint32_t>(v & 0x3ffff), static_cast<uint32_t>((v >> 18) & 0x3ffff)}; }

// A x36 read as {hi = bits 35:18, lo = bits 17:0}. The model's default is nextpnr's order (hi on
// DOA, lo on DOB); built with DP16KD_X36_READ_LOW_ON_DOA, yosys's (lo on DOA, hi on DOB).
struct Word36 {
    uint32_t hi, lo;
};
Word36 x36(uint64_t v) {
    const Halves h = halves(v);
#ifdef DP16KD_X36_READ_LOW_ON_DOA
    return {h.b, h.a};
#else
    return {h.a, h.b};
#endif
}

class TB {
 public:
    std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    std::unique_ptr<Vdp16kd_tb_top> m{new Vdp16kd_tb_top(ctx.get())};

    TB() {
        idle();
        m->clka = 0;
        m->clkb = 0;
        m->eval();
    }
    ~TB() { m->final(); }

    // every port enabled, reading, chip select 0, no reset
    void idle() {
        m->dia = 0, m->dib = 0, m->ada = 0, m->adb = 0;
        m->cea = 1, m->ceb = 1, m->ocea = 1, m->oceb = 1;
        m->wea = 0, m->web = 0, m->rsta = 0, m->rstb = 0;
        m->csa = 0, m->csb = 0;
    }
    // one rising edge on the chosen clocks, then back low
    void clk(bool a = true, bool b = true) {
        m->eval();
        if (a) m->clka = 1;
        if (b) m->clkb = 1;
        m->eval();
        ctx->timeInc(1);
        m->clka = 0;
        m->clkb = 0;
        m->eval();
        ctx->timeInc(1);
    }
    // x18 address with byte enables on AD[1:0]
    static uint32_t a18(uint32_t word, uint32_t be = 3) { return (word << 4) | be; }
    // x36 address with byte enables on AD[3:0]
    static uint32_t a36(uint32_t word, uint32_t be = 0xf) { return (word << 5) | be; }
    static uint32_t a9(uint32_t word) { return word << 3; }
    static uint32_t a4(uint32_t word) { return word << 2; }
    static uint32_t a2(uint32_t word) { return word << 1; }
};

// x18 / x18 READBEFOREWRITE: the configuration of sipnic's block-RAM FIFOs
void test_rbw18(TB& tb) {
    auto& m = *tb.m;
    tb.idle();
    m.wea = 1, m.ada = TB::a18(3), m.dia = 0x2aaaa;
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0, "rbw18: first write of word 3 shows the old word 0, got %05x", halves(m.do_rbw18).a);
    m.dia = 0x15555;
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x2aaaa, "rbw18: READBEFOREWRITE shows the overwritten word, got %05x", halves(m.do_rbw18).a);
    // port B reads word 3: nothing on DOB before the edge, the word after it (NOREG: one clock)
    tb.idle();
    m.adb = TB::a18(3, 0);
    m.eval();
    CHECK(halves(m.do_rbw18).b == 0, "rbw18: DOB changes only on the clock edge, got %05x", halves(m.do_rbw18).b);
    tb.clk();
    CHECK(halves(m.do_rbw18).b == 0x15555, "rbw18: B reads word 3 one edge later, got %05x", halves(m.do_rbw18).b);
    // byte enables on ADA[1:0]: ADA0 the low 9 bits, ADA1 the high 9 bits
    m.wea = 1, m.ada = TB::a18(3, 1), m.dia = 0x3ffff;
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x15555, "rbw18: READBEFOREWRITE of a byte write shows the whole old word, got %05x", halves(m.do_rbw18).a);
    m.ada = TB::a18(3, 2), m.dia = 0;
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x155ff, "rbw18: ADA0 wrote only bits 8:0, got %05x", halves(m.do_rbw18).a);
    m.wea = 0, m.ada = TB::a18(3, 0);
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x001ff, "rbw18: ADA1 cleared only bits 17:9, got %05x", halves(m.do_rbw18).a);
    // ADA[3:2] are not address bits at x18
    m.wea = 1, m.ada = (5 << 4) | 0xf, m.dia = 0x0c0de;
    tb.clk();
    m.wea = 0, m.ada = TB::a18(5, 0);
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x0c0de, "rbw18: ADA[3:2] ignored at x18, got %05x", halves(m.do_rbw18).a);
    // CEA low: no write, output held
    m.cea = 0, m.wea = 1, m.dia = 0x3ffff, m.ada = TB::a18(5);
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x0c0de, "rbw18: CEA low holds DOA, got %05x", halves(m.do_rbw18).a);
    m.cea = 1, m.wea = 0;
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x0c0de, "rbw18: CEA low did not write, got %05x", halves(m.do_rbw18).a);
    // independent clocks: port A writes on CLKA alone, port B sees it on its own edge
    m.wea = 1, m.ada = TB::a18(6), m.dia = 0x12345;
    const uint32_t dob_before = halves(m.do_rbw18).b;
    m.adb = TB::a18(6, 0);
    tb.clk(true, false);
    CHECK(halves(m.do_rbw18).b == dob_before, "rbw18: DOB holds without a CLKB edge, got %05x", halves(m.do_rbw18).b);
    m.wea = 0;
    tb.clk(false, true);
    CHECK(halves(m.do_rbw18).b == 0x12345, "rbw18: B reads A's word on its own clock, got %05x", halves(m.do_rbw18).b);
    // port B writes too (true dual port); A reads it
    m.web = 1, m.adb = TB::a18(7), m.dib = 0x00777;
    tb.clk();
    m.web = 0, m.ada = TB::a18(7, 0);
    tb.clk();
    CHECK(halves(m.do_rbw18).a == 0x00777, "rbw18: A reads B's write, got %05x", halves(m.do_rbw18).a);
    // same edge: A writes word 8, B reads word 8 -> the model's rule: the old word
    tb.idle();
    m.wea = 1, m.ada = TB::a18(8), m.dia = 0x11111;
    tb.clk();
    m.dia = 0x22222, m.adb = TB::a18(8, 0);
    tb.clk();
#ifdef DP16KD_COLLISION_POISON
    CHECK(halves(m.do_rbw18).b == (~0x11111u & 0x3ffff), "rbw18: collision read poisoned, got %05x", halves(m.do_rbw18).b);
#else
    CHECK(halves(m.do_rbw18).b == 0x11111, "rbw18: collision read gives the old word, got %05x", halves(m.do_rbw18).b);
#endif
    m.wea = 0;
    tb.clk();
    CHECK(halves(m.do_rbw18).b == 0x22222, "rbw18: the colliding write was stored, got %05x", halves(m.do_rbw18).b);
}

// x36 pseudo-dual-port: {DIB, DIA} written at ADA[13:5] with byte enables ADA[3:0], read at
// ADB[13:5] as {DOA, DOB}
void test_pdp36(TB& tb) {
    auto& m = *tb.m;
    tb.idle();
    m.wea = 1, m.ada = TB::a36(7), m.dia = 0x04321, m.dib = 0x39876;
    tb.clk();
    tb.idle();
    m.adb = TB::a36(7, 0);
    tb.clk();
    CHECK(x36(m.do_pdp36).lo == 0x04321, "pdp36: bits 17:0 read back, got %05x", x36(m.do_pdp36).lo);
    CHECK(x36(m.do_pdp36).hi == 0x39876, "pdp36: bits 35:18 read back, got %05x", x36(m.do_pdp36).hi);
    // ADA2: bits 26:18
    m.wea = 1, m.ada = TB::a36(7, 0x4), m.dia = 0, m.dib = 0x3ffff;
    tb.clk();
    m.wea = 0;
    tb.clk();
    CHECK(x36(m.do_pdp36).hi == 0x399ff && x36(m.do_pdp36).lo == 0x04321, "pdp36: ADA2 wrote bits 26:18 only, got %05x %05x",
          x36(m.do_pdp36).hi, x36(m.do_pdp36).lo);
    // ADA1: bits 17:9, ADA3: bits 35:27
    m.wea = 1, m.ada = TB::a36(7, 0xa), m.dia = 0x3ffff, m.dib = 0;
    tb.clk();
    m.wea = 0;
    tb.clk();
    CHECK(x36(m.do_pdp36).hi == 0x001ff && x36(m.do_pdp36).lo == 0x3ff21, "pdp36: ADA1/ADA3, got %05x %05x",
          x36(m.do_pdp36).hi, x36(m.do_pdp36).lo);
    // ADB[4:0] are not address bits at x36; port B does not write in this mode
    m.adb = TB::a36(7, 0x1f), m.web = 1, m.dib = 0x2bad;
    tb.clk();
    m.web = 0;
    tb.clk();
    CHECK(x36(m.do_pdp36).hi == 0x001ff && x36(m.do_pdp36).lo == 0x3ff21, "pdp36: ADB[4:0] ignored, WEB ignored, got %05x %05x",
          x36(m.do_pdp36).hi, x36(m.do_pdp36).lo);
    // CEB low holds the output
    m.ceb = 0, m.adb = TB::a36(8, 0);
    tb.clk();
    CHECK(x36(m.do_pdp36).lo == 0x3ff21, "pdp36: CEB low holds the output");
    // word 8 is zero, and a write to it with CEA low does nothing
    m.ceb = 1, m.cea = 0, m.wea = 1, m.ada = TB::a36(8), m.dia = 0x1;
    tb.clk();
    m.cea = 1, m.wea = 0;
    tb.clk();
    CHECK(x36(m.do_pdp36).hi == 0 && x36(m.do_pdp36).lo == 0, "pdp36: CEA low did not write");
}

// NORMAL keeps DOA during a write; WRITETHROUGH shows DIB; OUTREG adds a clock, held by OCEB low
void test_write_modes(TB& tb) {
    auto& m = *tb.m;
    tb.idle();
    m.wea = 1, m.ada = TB::a18(9), m.dia = 0x12345;
    tb.clk();
    m.wea = 0;
    tb.clk();
    CHECK(halves(m.do_nw18).a == 0x12345, "nw18: A reads word 9, got %05x", halves(m.do_nw18).a);
    m.wea = 1, m.ada = TB::a18(10), m.dia = 0x2f00d;
    tb.clk();
    CHECK(halves(m.do_nw18).a == 0x12345, "nw18: NORMAL write keeps DOA, got %05x", halves(m.do_nw18).a);
    tb.idle();
    m.web = 1, m.adb = TB::a18(11), m.dib = 0x0abcd;
    tb.clk();
    uint32_t before = halves(m.do_nw18).b;
    CHECK(before != 0x0abcd, "nw18: OUTREG: DOB not yet the written word");
    m.web = 0, m.adb = TB::a18(10, 0);
    tb.clk();
    CHECK(halves(m.do_nw18).b == 0x0abcd, "nw18: WRITETHROUGH shows DIB (through OUTREG one clock later), got %05x", halves(m.do_nw18).b);
    m.oceb = 0;
    tb.clk();
    CHECK(halves(m.do_nw18).b == 0x0abcd, "nw18: OCEB low holds the output register, got %05x", halves(m.do_nw18).b);
    m.oceb = 1;
    tb.clk();
    CHECK(halves(m.do_nw18).b == 0x2f00d, "nw18: B read of word 10 through OUTREG, got %05x", halves(m.do_nw18).b);
    // WRITETHROUGH x18 with ADB0 only: DOB shows DIB as presented, memory takes bits 8:0
    m.web = 1, m.adb = TB::a18(12, 1), m.dib = 0x3fe01;
    tb.clk();
    m.web = 0, m.adb = TB::a18(12, 0);
    tb.clk();
    CHECK(halves(m.do_nw18).b == 0x3fe01, "nw18: WRITETHROUGH with ADB0 shows DIB, got %05x", halves(m.do_nw18).b);
    tb.clk();
    CHECK(halves(m.do_nw18).b == 0x00001, "nw18: only bits 8:0 were written, got %05x", halves(m.do_nw18).b);
}

// mixed widths: x9 words are halves of x18 words; x1/x2/x4 use the 16 data columns
void test_widths(TB& tb) {
    auto& m = *tb.m;
    // m9_18: A x9 WRITETHROUGH, B x18 OUTREG
    tb.idle();
    m.wea = 1, m.ada = TB::a9(8), m.dia = 0x3fe00 | 0x1ab;  // DIA[17:9] are not data at x9
    tb.clk();
    CHECK(halves(m.do_m9_18).a == 0x1ab, "m9_18: WRITETHROUGH x9 shows DIA[8:0] only, got %05x", halves(m.do_m9_18).a);
    m.ada = TB::a9(9), m.dia = 0x0cd;
    tb.clk();
    tb.idle();
    m.adb = TB::a18(4, 0);
    tb.clk();
    tb.clk();
    CHECK(halves(m.do_m9_18).b == ((0x0cdu << 9) | 0x1ab), "m9_18: x18 word 4 = {x9 word 9, x9 word 8}, got %05x", halves(m.do_m9_18).b);
    m.ada = TB::a9(9) | 7;  // ADA[2:0] are not address bits at x9
    tb.clk();
    CHECK(halves(m.do_m9_18).a == 0x0cd, "m9_18: x9 read of word 9 (ADA[2:0] ignored), got %05x", halves(m.do_m9_18).a);

    // m4_1: A x4 NORMAL, B x1 WRITETHROUGH
    tb.idle();
    m.wea = 1, m.ada = TB::a4(5), m.dia = 0x3fffa;  // nibble 0xa, upper DIA bits not data
    tb.clk();
    m.ada = TB::a4(2), m.dia = 0x5;
    tb.clk();
    tb.idle();
    const int bits5[4] = {0, 1, 0, 1}, bits2[4] = {1, 0, 1, 0};
    for (int i = 0; i < 4; i++) {
        m.adb = 20 + i;
        tb.clk();
        CHECK(halves(m.do_m4_1).b == static_cast<uint32_t>(bits5[i]), "m4_1: x1 bit %d of x4 word 5, got %x", 20 + i, halves(m.do_m4_1).b);
        m.adb = 8 + i;
        tb.clk();
        CHECK(halves(m.do_m4_1).b == static_cast<uint32_t>(bits2[i]), "m4_1: x1 bit %d of x4 word 2, got %x", 8 + i, halves(m.do_m4_1).b);
    }
    m.web = 1, m.adb = 9, m.dib = 0x3ffff;
    tb.clk();
    CHECK(halves(m.do_m4_1).b == 1, "m4_1: x1 WRITETHROUGH shows DIB0 only, got %x", halves(m.do_m4_1).b);
    m.web = 0, m.ada = TB::a4(2);
    tb.clk();
    CHECK(halves(m.do_m4_1).a == 0x7, "m4_1: x4 word 2 after setting x1 bit 9, got %x", halves(m.do_m4_1).a);

    // m2_9: A x2 fills x18 row 0's data columns; the x9 halves show the parity bits untouched
    tb.idle();
    m.web = 1, m.dib = 0;  // clear row 0 through the x9 port first
    m.adb = TB::a9(0);
    tb.clk();
    m.adb = TB::a9(1);
    tb.clk();
    tb.idle();
    m.wea = 1, m.dia = 0x3;
    for (int i = 0; i < 8; i++) {
        m.ada = TB::a2(i);
        tb.clk();
    }
    tb.idle();
    m.adb = TB::a9(0);
    tb.clk();
    CHECK(halves(m.do_m2_9).b == 0x0ff, "m2_9: x9 word 0 = 8 data bits set, bit 8 (parity column) clear, got %03x", halves(m.do_m2_9).b);
    m.web = 1, m.adb = TB::a9(1), m.dib = 0x1ff;
    tb.clk();
    CHECK(halves(m.do_m2_9).b == 0x0ff, "m2_9: READBEFOREWRITE x9 shows the old word 1, got %03x", halves(m.do_m2_9).b);
    m.web = 0, m.ada = TB::a2(4);
    tb.clk();
    CHECK(halves(m.do_m2_9).a == 0x3, "m2_9: x2 word 4 still 3, got %x", halves(m.do_m2_9).a);
}

// chip select, asynchronous reset, OUTREG on port A
void test_cs_reset(TB& tb) {
    auto& m = *tb.m;
    tb.idle();
    m.csa = 0, m.wea = 1, m.ada = TB::a18(1), m.dia = 0x11111;  // CSDECODE_A 0b101: not selected
    tb.clk();
    m.csa = 5, m.ada = TB::a18(2), m.dia = 0x22222;
    tb.clk();
    m.wea = 0, m.csb = 2, m.adb = TB::a18(1, 0);
    tb.clk();
    CHECK(halves(m.do_cs).b == 0, "cs: write with CSA != CSDECODE_A did nothing, got %05x", halves(m.do_cs).b);
    m.adb = TB::a18(2, 0);
    tb.clk();
    CHECK(halves(m.do_cs).b == 0x22222, "cs: write with CSA == CSDECODE_A, got %05x", halves(m.do_cs).b);
    m.csb = 0, m.adb = TB::a18(1, 0);
    tb.clk();
    CHECK(halves(m.do_cs).b == 0x22222, "cs: deselected port B holds DOB, got %05x", halves(m.do_cs).b);
    m.ada = TB::a18(2, 0);
    tb.clk();
    tb.clk();
    CHECK(halves(m.do_cs).a == 0x22222, "cs: A reads through OUTREG, got %05x", halves(m.do_cs).a);
    m.rsta = 1;
    m.eval();
    CHECK(halves(m.do_cs).a == 0, "cs: RESETMODE ASYNC clears DOA without a clock, got %05x", halves(m.do_cs).a);
    tb.clk();
    m.rsta = 0;
    tb.clk();
    CHECK(halves(m.do_cs).a == 0, "cs: after reset the output register has the cleared latch, got %05x", halves(m.do_cs).a);
    tb.clk();
    CHECK(halves(m.do_cs).a == 0x22222, "cs: reads again after reset, got %05x", halves(m.do_cs).a);
}

// INITVAL layout: 18-bit word w at INITVAL_<w/16>[20*(w%16) +: 18]; synchronous reset
void test_init(TB& tb) {
    auto& m = *tb.m;
    tb.idle();
    const struct {
        uint32_t word, value;
    } words[] = {{0, 0x2a5a5}, {1, 0x15a5a}, {2, 0}, {15, 0x3ffff}, {16, 0}, {1022, 0}, {1023, 0x00001}};
    for (auto w : words) {
        m.ada = TB::a18(w.word, 0);
        tb.clk();
        CHECK(halves(m.do_init).a == w.value, "init: word %u = %05x, got %05x", w.word, w.value, halves(m.do_init).a);
    }
    m.adb = TB::a9(0);
    tb.clk();
    CHECK(halves(m.do_init).b == 0x1a5, "init: x9 word 0 = low half of word 0, got %03x", halves(m.do_init).b);
    m.adb = TB::a9(1);
    tb.clk();
    CHECK(halves(m.do_init).b == 0x152, "init: x9 word 1 = high half of word 0, got %03x", halves(m.do_init).b);
    m.rstb = 1;
    m.eval();
    CHECK(halves(m.do_init).b == 0x152, "init: RESETMODE SYNC waits for the clock, got %03x", halves(m.do_init).b);
    tb.clk();
    CHECK(halves(m.do_init).b == 0, "init: RESETMODE SYNC clears DOB on the edge, got %03x", halves(m.do_init).b);
    m.rstb = 0;
}

// x36 write, x9 read through OUTREG: a x36 word is x18 rows 2a and 2a+1
void test_pdp36r9(TB& tb) {
    auto& m = *tb.m;
    tb.idle();
    m.wea = 1, m.ada = TB::a36(3), m.dia = 0x0abcd, m.dib = 0x3f00f;
    tb.clk();
    tb.idle();
    const uint32_t expect[4] = {0x0abcd & 0x1ff, 0x0abcd >> 9, 0x3f00f & 0x1ff, 0x3f00f >> 9};
    for (int i = 0; i < 4; i++) {
        m.adb = TB::a9(12 + i);
        tb.clk();
        tb.clk();
        CHECK(halves(m.do_pdp36r9).b == expect[i] && halves(m.do_pdp36r9).a == 0, "pdp36r9: x9 word %d = %03x, got %03x (DOA %05x)",
              12 + i, expect[i], halves(m.do_pdp36r9).b, halves(m.do_pdp36r9).a);
    }
}

// long random run of the two configurations sipnic's netlists use, against a reference
void test_random(TB& tb, uint32_t seed, int cycles) {
    auto& m = *tb.m;
    std::mt19937 rng(seed);
    uint32_t r18[1024] = {}, lat18a = 0, lat18b = 0;
    uint64_t r36[512] = {};
    uint64_t lat36 = 0;
    // start from the model's current contents: rewrite the words the random run uses
    tb.idle();
    m.wea = 1, m.web = 0;
    for (uint32_t w = 0; w < 16; w++) {
        m.ada = (w << 5) | 0xf;  // also a valid x18 address (word 2w) with both byte enables
        m.dia = 0, m.dib = 0;
        tb.clk();
        m.ada = TB::a18(2 * w + 1);
        tb.clk();
    }
    tb.idle();
    tb.clk();
    lat18a = lat18b = 0;
    lat36 = 0;
    int mismatches = 0;
    for (int c = 0; c < cycles && mismatches < 10; c++) {
        const uint32_t wa = rng() % 8, wb = rng() % 8;  // few words: many same-edge collisions
        m.cea = rng() % 8 != 0, m.ceb = rng() % 8 != 0;
        m.wea = rng() & 1, m.web = rng() & 1;
        m.dia = rng() & 0x3ffff, m.dib = rng() & 0x3ffff;
        const uint32_t bea = rng() & 0xf, beb = rng() & 0x3;
        m.ada = (wa << 5) | bea;  // x18: word 2wa with enables bea[1:0]; x36: word wa, enables bea
        m.adb = (wb << 5) | beb;
        // reference, x18/x18 READBEFOREWRITE: both outputs show the word before the edge
        const uint32_t ia = 2 * wa, ib = 2 * wb;
        const uint32_t olda = r18[ia], oldb = r18[ib];
        auto merge18 = [](uint32_t old, uint32_t d, uint32_t be) {
            uint32_t mask = ((be & 1) ? 0x1ffu : 0) | ((be & 2) ? 0x3fe00u : 0);
            return (old & ~mask) | (d & mask);
        };
        if (m.cea && m.wea) r18[ia] = merge18(r18[ia], m.dia, bea & 3);
        if (m.ceb && m.web) r18[ib] = merge18(r18[ib], m.dib, beb);
        if (m.cea) lat18a = olda;
        if (m.ceb) lat18b = oldb;
        // reference, x36 pseudo-dual-port: B reads the word before the edge
        const uint64_t old36 = r36[wb];
        if (m.cea && m.wea) {
            uint64_t d = (static_cast<uint64_t>(m.dib) << 18) | m.dia, mask = 0;
            for (int k = 0; k < 4; k++)
                if ((bea >> k) & 1) mask |= uint64_t{0x1ff} << (9 * k);
            r36[wa] = (r36[wa] & ~mask) | (d & mask);
        }
        if (m.ceb) lat36 = old36;
        tb.clk();
        const Halves h18 = halves(m.do_rbw18);
        const Word36 h36 = x36(m.do_pdp36);
        if (h18.a != lat18a || h18.b != lat18b) {
            mismatches++;
            CHECK(false, "random rbw18 cycle %d: DOA %05x DOB %05x, expected %05x %05x", c, h18.a, h18.b, lat18a, lat18b);
        }
        const uint64_t got36 = (static_cast<uint64_t>(h36.hi) << 18) | h36.lo;
        if (got36 != lat36) {
            mismatches++;
            CHECK(false, "random pdp36 cycle %d: %09llx, expected %09llx", c, (unsigned long long)got36, (unsigned long long)lat36);
        }
    }
    CHECK(mismatches == 0, "random run: %d cycles of rbw18 and pdp36 agree with the reference", cycles);
}

}  // namespace

int main(int argc, char** argv) {
    uint32_t seed = 1;
    int cycles = 200000;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--seed")) seed = static_cast<uint32_t>(std::strtoul(argv[i + 1], nullptr, 0));
        else if (!std::strcmp(argv[i], "--cycles")) cycles = std::atoi(argv[i + 1]);
    }
    TB tb;
    test_init(tb);  // first: the contents INITVAL gave, before anything writes
    test_rbw18(tb);
    test_pdp36(tb);
    test_write_modes(tb);
    test_widths(tb);
    test_cs_reset(tb);
    test_pdp36r9(tb);
#ifndef DP16KD_COLLISION_POISON
    test_random(tb, seed, cycles);
#endif
    printf("dp16kd_tb: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail == 0 ? 0 : 1;
}
