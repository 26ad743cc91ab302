// Verilator testbench for sipnic_mdio_master (rtl/nic) against two sipnic_mdio_phy_model PHYs
// (sim/phy) at addresses 0 and 1 (test/rtl/mdio_tb_top.v). Checks, at -DMDC_DIV=N:
//  - every register the host reads (0, 1, 2, 3, 4, 5, 9, 10) for each link the model can be
//    given (down; 10/100/1000 Mb/s, half and full), against values written out by hand from the
//    model's header comment (IEEE 802.3 clause 22 / 40 bit meanings);
//  - BMSR's latched-low link bit: 0 on the first read after the link came up, then 1;
//  - an address with no PHY, and a PHY that does not answer: NO_ANSWER, data 0xFFFF;
//  - MDC: 2 * MDC_DIV clocks per period, a read takes exactly 64 periods; the master never
//    drives MDIO while a PHY does (no collision), and no PHY ever sees a write frame.
// Run by scripts/test-mdio.sh; prints "mdio_tb: N passed, M failed".
#include <verilated.h>
#include "Vmdio_tb_top.h"

#include <cstdint>
#include <cstdio>
#include <memory>

#include "tb_check.h"

#ifndef MDC_DIV
#define MDC_DIV 3
#endif

namespace {

struct Link {
    bool up;
    int speed;  // 10, 100, 1000
    bool full;
};

struct Result {
    uint16_t data;
    bool noAnswer;
    uint64_t clocks;
};

std::unique_ptr<VerilatedContext> ctx;
std::unique_ptr<Vmdio_tb_top> top;
uint64_t collisions = 0;
uint64_t mdcRises = 0;
uint64_t lastRise = 0, clockNo = 0;
// the next MDC rise is the first of a read (no period to measure yet)
bool firstRise = true;
int badPeriods = 0;

void tick() {
    const bool mdcBefore = top->mdc;
    top->clk = 0;
    top->eval();
    ctx->timeInc(1);
    top->clk = 1;
    top->eval();
    ctx->timeInc(1);
    clockNo++;
    if (top->collision) collisions++;
    if (!mdcBefore && top->mdc) {
        if (!firstRise && clockNo - lastRise != 2 * MDC_DIV) badPeriods++;
        firstRise = false;
        mdcRises++;
        lastRise = clockNo;
    }
}

void setLink(int port, Link l, bool present = true) {
    const int sp = l.speed == 1000 ? 2 : l.speed == 100 ? 1 : 0;
    top->present = (top->present & ~(1u << port)) | (present ? 1u << port : 0);
    top->link_up = (top->link_up & ~(1u << port)) | (l.up ? 1u << port : 0);
    top->full_duplex = (top->full_duplex & ~(1u << port)) | (l.full ? 1u << port : 0);
    top->speed = (top->speed & ~(3u << (2 * port))) | (sp << (2 * port));
}

Result mdioRead(int phy, int reg) {
    top->phy_addr = phy;
    top->reg_addr = reg;
    firstRise = true;
    top->start = 1;
    tick();
    top->start = 0;
    // a start while busy is ignored
    top->phy_addr = 31;
    top->start = 1;
    tick();
    top->start = 0;
    uint64_t clocks = 2;
    while (top->busy && clocks < 1000000) {
        tick();
        clocks++;
    }
    // one clock past the end: done, busy clear
    return {static_cast<uint16_t>(top->rdata), static_cast<bool>(top->no_answer), clocks};
}

// Registers of a PHY with link l, from the model's specification (not from its code).
uint16_t expected(int reg, Link l, bool latchedUp) {
    switch (reg) {
        case 0: return 0x1140;
        case 1: return 0x7949 | (l.up ? 0x0020 : 0) | (l.up && latchedUp ? 0x0004 : 0);
        case 2: return 0x001c;
        case 3: return 0xc916;
        case 4: return 0x01e1;
        case 5:
            if (!l.up) return 0;
            if (l.speed == 1000) return 0x41e1;
            if (l.speed == 100) return l.full ? 0x4101 : 0x4081;
            return l.full ? 0x4041 : 0x4021;
        case 9: return 0x0300;
        case 10:
            if (!l.up || l.speed != 1000) return 0;
            return l.full ? 0x3800 : 0x3400;
        default: return 0;
    }
}

}  // namespace

int main(int argc, char **argv) {
    ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    top = std::make_unique<Vmdio_tb_top>(ctx.get());
    top->start = 0;
    top->present = 3;
    top->link_up = 0;
    top->speed = 0;
    top->full_duplex = 0;
    top->rst = 1;
    for (int i = 0; i < 4; i++) tick();
    top->rst = 0;
    for (int i = 0; i < 4; i++) tick();

    const Link links[] = {
        {false, 1000, true}, {true, 1000, true}, {true, 1000, false}, {true, 100, true},
        {true, 100, false},  {true, 10, true},   {true, 10, false},
    };
    const int regs[] = {0, 1, 2, 3, 4, 5, 9, 10, 17, 31};
    for (int port = 0; port < 2; port++) {
        for (const Link &l : links) {
            // the other PHY has a different link, so an answer from the wrong one shows
            setLink(port, l);
            setLink(1 - port, {true, l.speed == 100 ? 10 : 100, !l.full});
            // link down first: the latch of BMSR.2 falls, as after power-up or a cable pulled
            Link down = l;
            down.up = false;
            setLink(port, down);
            Result r0 = mdioRead(port, 1);
            CHECK(r0.data == expected(1, down, false) && !r0.noAnswer, "port %d down: BMSR 0x%04x", port, r0.data);
            setLink(port, l);
            Result first = mdioRead(port, 1);
            Result second = mdioRead(port, 1);
            CHECK(first.data == expected(1, l, false), "port %d %d/%d first BMSR 0x%04x, want 0x%04x (latched low)", port, l.speed,
                  l.full, first.data, expected(1, l, false));
            CHECK(second.data == expected(1, l, true), "port %d %d/%d second BMSR 0x%04x, want 0x%04x", port, l.speed, l.full,
                  second.data, expected(1, l, true));
            for (int reg : regs) {
                Result r = mdioRead(port, reg);
                const uint16_t want = expected(reg, l, true);
                CHECK(!r.noAnswer && r.data == want, "port %d link %s %d %s reg %d: 0x%04x%s, want 0x%04x", port,
                      l.up ? "up" : "down", l.speed, l.full ? "full" : "half", reg, r.data, r.noAnswer ? " (no answer)" : "",
                      want);
                // start, the ignored start, 64 MDC periods, and the clock that ends busy
                CHECK(r.clocks == 64ull * 2 * MDC_DIV + 1, "a read took %llu clocks, want %d", (unsigned long long)r.clocks,
                      64 * 2 * MDC_DIV + 1);
            }
        }
    }

    // nothing at address 5; PHY 1 not answering (as a PHY that is missing or held in reset)
    for (int reg : {1, 2}) {
        Result r = mdioRead(5, reg);
        CHECK(r.noAnswer && r.data == 0xffff, "address 5 reg %d: no_answer %d data 0x%04x", reg, r.noAnswer, r.data);
    }
    setLink(1, {true, 1000, true}, false);
    Result absent = mdioRead(1, 2);
    CHECK(absent.noAnswer && absent.data == 0xffff, "absent PHY 1: no_answer %d data 0x%04x", absent.noAnswer, absent.data);
    // and the next read of a PHY that is there clears NO_ANSWER
    Result back = mdioRead(0, 2);
    CHECK(!back.noAnswer && back.data == 0x001c, "PHY 0 after a missing one: no_answer %d data 0x%04x", back.noAnswer, back.data);

    CHECK(collisions == 0, "%llu clocks with two drivers on MDIO", (unsigned long long)collisions);
    CHECK(badPeriods == 0, "%d MDC periods were not %d clocks", badPeriods, 2 * MDC_DIV);
    CHECK(top->writes_seen == 0, "the PHYs saw %u write frames", top->writes_seen);
    CHECK(mdcRises > 0, "MDC never rose");

    top->final();
    printf("mdio_tb: %d passed, %d failed (MDC_DIV %d)\n", g_pass, g_fail, MDC_DIV);
    return g_fail ? 1 : 0;
}
