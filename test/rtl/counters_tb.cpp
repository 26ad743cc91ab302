// Verilator testbench for sipnic_counters (block-RAM counters with a sweep): random events
// every clock, reads at random moments (as the register file makes them: at most every other
// clock, also back to back with the sweep writing the same counter), and clears; every read
// must equal a plain 64-bit model of the events before the read's clock. Run by
// scripts/test-nic.sh. Arguments: "cycles=N", "seed=N".
#include <verilated.h>
#include "Vsipnic_counters.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#ifndef QUEUES
#define QUEUES 4
#endif

#include "tb_check.h"

int main(int argc, char **argv) {
    uint64_t cycles = 400000;
    unsigned seed = 1;
    for (int i = 1; i < argc; i++) {
        if (!strncmp(argv[i], "cycles=", 7)) cycles = strtoull(argv[i] + 7, nullptr, 10);
        if (!strncmp(argv[i], "seed=", 5)) seed = (unsigned)strtoul(argv[i] + 5, nullptr, 10);
    }
    const int COUNT = 13 + 3 * QUEUES;
    auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);
    auto top = std::make_unique<Vsipnic_counters>(ctx.get());
    std::mt19937_64 rng(seed);
    std::vector<uint64_t> model(COUNT, 0);

    auto tick = [&]() {
        top->clk = 0;
        top->eval();
        ctx->timeInc(1);
        top->clk = 1;
        top->eval();
        ctx->timeInc(1);
    };
    auto idle_inputs = [&]() {
        top->clear = 0;
        top->rx_beat = 0;
        top->rx_frame = 0;
        top->flow_hit = 0;
        top->listen_hit = 0;
        top->default_hit = 0;
        top->drop = 0;
        top->q_frame = 0;
        top->q_drop = 0;
        top->rd_en = 0;
    };

    idle_inputs();
    top->rst = 1;
    tick();
    tick();
    top->rst = 0;

    int pending_read = -1;       // index read last clock: its value is on rd_value now
    uint64_t pending_want = 0;
    int since_read = 2;
    int reads = 0, clears = 0;
    // phases: heavy traffic (pending counts near their limit), sparse, read storms
    for (uint64_t c = 0; c < cycles; c++) {
        idle_inputs();
        int phase = (int)((c / 20000) % 3);
        double p = phase == 0 ? 0.95 : phase == 1 ? 0.1 : 0.5;
        auto ev = [&]() { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
        std::vector<uint64_t> inc(COUNT, 0);
        if (ev()) { top->rx_frame = 1; inc[0] = 1; }
        if (ev()) { unsigned b = 1 + rng() % 8; top->rx_beat = 1; top->rx_beat_bytes = b; inc[1] = b; }
        if (ev()) { int k = rng() % 3; if (k == 0) top->flow_hit = 1; else if (k == 1) top->listen_hit = 1; else top->default_hit = 1; inc[2 + k] = 1; }
        if (ev()) { unsigned r = 1 + rng() % 8; top->drop = 1; top->drop_reason = r; inc[5 + r - 1] = 1; }
        if (ev()) {
            unsigned q = rng() % QUEUES, len = (rng() % 4 == 0) ? 9022 : 14 + rng() % 1500;
            top->q_frame = 1; top->q_frame_queue = q; top->q_frame_len = len;
            inc[13 + 3 * q] = 1; inc[14 + 3 * q] = len;
        }
        if (ev()) { unsigned q = rng() % QUEUES; top->q_drop = 1; top->q_drop_queue = q; inc[15 + 3 * q] = 1; }
        bool clear = (rng() % 50000) == 0;
        // reads: at most every other clock, like the register file (one access at a time)
        int rd = -1;
        double pr = phase == 2 ? 0.9 : 0.05;
        if (since_read >= 2 && std::uniform_real_distribution<double>(0, 1)(rng) < pr) rd = rng() % COUNT;
        if (rd >= 0) { top->rd_en = 1; top->rd_index = rd; }
        if (clear) top->clear = 1;

        // the value on rd_value now answers last clock's read
        top->clk = 0;
        top->eval();
        if (pending_read >= 0) {
            uint64_t got = top->rd_value;
            CHECK(got == pending_want, "cycle %lu: counter %d read %lu want %lu", (unsigned long)c, pending_read, (unsigned long)got, (unsigned long)pending_want);
            reads++;
        }
        pending_read = rd;
        if (rd >= 0) { pending_want = model[rd]; since_read = 0; } else since_read++;
        tick();
        if (clear) {
            std::fill(model.begin(), model.end(), 0);
            clears++;
        } else {
            for (int i = 0; i < COUNT; i++) model[i] += inc[i];
        }
    }
    // after the run: every counter once more, with idle inputs
    idle_inputs();
    for (int i = 0; i < COUNT; i++) {
        top->rd_en = 1;
        top->rd_index = i;
        tick();
        top->rd_en = 0;
        top->clk = 0;
        top->eval();
        CHECK(top->rd_value == model[i], "final counter %d read %lu want %lu", i, (unsigned long)top->rd_value, (unsigned long)model[i]);
        tick();
    }
    top->final();
    printf("counters_tb: %d passed, %d failed (%d reads, %d clears, QUEUES=%d)\n", g_pass, g_fail, reads, clears, QUEUES);
    return g_fail ? 1 : 0;
}
