// What the sipnic_core testbenches (core_tb, learn_tb) share: the model in a context of its own,
// reset, the clock edge, the register bus, and the writers of big-endian header fields. Each
// testbench derives its TB from CoreHarness, with its own tick(): what it drives and samples
// around the edge.
#pragma once

#include <verilated.h>
#include "Vsipnic_core.h"

#include <cstdint>
#include <memory>
#include <vector>

#include "tb_check.h"

typedef std::vector<uint8_t> Bytes;

static void put16(Bytes& b, uint16_t v) {
    b.push_back(v >> 8);
    b.push_back(v & 0xff);
}
static void put32(Bytes& b, uint32_t v) {
    put16(b, v >> 16);
    put16(b, v & 0xffff);
}

/** Bytes b[0..n) as a beat word, byte 0 in lane 0 (narrower ports take the low lanes). */
static uint64_t beat_word(const uint8_t* b, int n) {
    uint64_t v = 0;
    for (int i = 0; i < n; i++) v |= (uint64_t)b[i] << (8 * i);
    return v;
}

class CoreHarness {
public:
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vsipnic_core> m;
    uint64_t cycle = 0;

    /** reg_waits: clocks a register access may take before its ack is missed. */
    explicit CoreHarness(int reg_waits) : ctx(new VerilatedContext), m(new Vsipnic_core(ctx.get())), reg_waits_(reg_waits) {
        m->clk = 0;
        m->rst = 1;
        m->s_axis_tvalid = 0;
        m->reg_en = 0;
        m->m_axis_tready = 0xff;
        m->eval();
    }
    virtual ~CoreHarness() { m->final(); }

    /** One clock: the testbench drives and samples, then edge(). */
    virtual void tick() = 0;

    /** rst for 4 clocks, then one clock out of it; from the derived constructor (tick() is its). */
    void reset() {
        for (int i = 0; i < 4; i++) tick();
        m->rst = 0;
        tick();
    }

    /** The rising edge and back to low. */
    void edge() {
        m->clk = 1;
        m->eval();
        ctx->timeInc(1);
        m->clk = 0;
        m->eval();
        ctx->timeInc(1);
        cycle++;
    }

    void run(int n) {
        for (int i = 0; i < n; i++) tick();
    }

    uint32_t reg(bool we, uint16_t addr, uint32_t wdata = 0) {
        m->reg_en = 1;
        m->reg_we = we;
        m->reg_addr = addr;
        m->reg_wdata = wdata;
        tick();
        m->reg_en = 0;
        for (int i = 0; i < reg_waits_; i++) {
            m->eval();
            if (m->reg_ack) {
                uint32_t v = m->reg_rdata;
                tick();
                return v;
            }
            tick();
        }
        CHECK(false, "no reg_ack for 0x%04x", addr);
        return 0;
    }
    void wr(uint16_t a, uint32_t v) { reg(true, a, v); }
    uint32_t rd(uint16_t a) { return reg(false, a); }

private:
    int reg_waits_;
};
