// Verilator testbench for sipnic_nic (UART bridge + sipnic_core + egress): registers only
// through a bit-level UART model (LiteX UARTBone commands), frames on the four AXI-Stream
// ports. Checks: the block chain holds the egress block and ends in the board block (its
// identity registers; an MDIO read with nothing on the bus ends with NO_ANSWER and all ones); per-queue MACs read back; frames
// from port 0 steered by listen rules leave port 1 with their queue's MAC as destination
// (unchanged with the rewrite off), every other byte intact, in order per queue, round robin
// across queues; frames marked bad (tuser) on either rx port are dropped and counted; port 1
// frames reach port 0 unchanged under random backpressure; a frame larger than the receive
// buffer is dropped and counted; the source MAC rewrite of port 1 -> port 0 (CLUSTER_MAC_HI/LO,
// CONTROL.REWRITE_SRC): off, frames pass byte-identical even with a cluster MAC set; on, the
// source MAC and, in untagged ARP only, the sender hardware address become the cluster MAC and
// nothing else changes, for IPv4, ARP, VLAN-tagged ARP, near-miss EtherTypes and random frames
// of 1..1518 bytes (every length 1..64 of each kind) under random backpressure; switched off and
// on while frames flow, each frame is rewritten whole or not at all.
// With -DLEARNING=1 (the NIC built with LEARNING=1): transmit-side learning, a TCP SYN from the
// cluster address on port 1 with processor n's source MAC learns the reverse key -> queue n, a
// frame from a MAC that is no queue's or marked bad learns nothing.
// IPv6 (-DIPV6 as the NIC's IPV6): FEATURES.IPV4_ONLY reads !IPV6; an IPv6 frame a listen rule
// would steer goes there with IPV6=1 and by the default action with IPV6=0, IPv4 steering beside it
// unchanged; a host flow entry's IPv4 key reads back whole through the register interface (the
// 70-bit table key of IPV6=0 zero-extended) and steers; with LEARNING a processor's IPv6 SYN
// learns its reverse entry only with IPV6=1.
// Built and run by scripts/test-nic.sh at widths 8, 32, 64 (and once at 32 with LEARNING=1, at
// the board's IPV6 or 0).
#include <verilated.h>
#include "Vsipnic_nic.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "sipnic_regs.generated.h"  // scripts/gen-regs.mjs, from rtl/regs.json
#include "../../sim/src/uart_model.h"

#ifndef DW
#define DW 32
#endif
#ifndef CPB
#define CPB 10
#endif
#ifndef LEARNING
#define LEARNING 0
#endif
#ifndef QUEUES
#define QUEUES 4
#endif
#ifndef IPV6
#define IPV6 1
#endif
static const int KW = DW / 8;

typedef std::vector<uint8_t> Bytes;

#include "tb_check.h"

// ---------------------------------------------------------------- streams
struct Frame {
    Bytes data;
    bool bad = false;
};

struct Source {
    std::deque<Frame> frames;
    size_t pos = 0;
    double p_valid = 1.0;
    bool valid = false;
};

struct Sink {
    std::vector<Bytes> frames;
    Bytes cur;
    double p_ready = 1.0;
    bool ready = true;
};

static uint64_t beat_data(const Frame &f, size_t pos, uint32_t &keep, bool &last) {
    uint64_t d = 0;
    keep = 0;
    for (int i = 0; i < KW && pos + i < f.data.size(); i++) {
        d |= (uint64_t)f.data[pos + i] << (8 * i);
        keep |= 1u << i;
    }
    last = pos + KW >= f.data.size();
    return d;
}

// ---------------------------------------------------------------- harness
struct TB {
    std::unique_ptr<VerilatedContext> ctx{new VerilatedContext};
    std::unique_ptr<Vsipnic_nic> top{new Vsipnic_nic(ctx.get())};
    UartModel uart{CPB};
    std::mt19937_64 rng{7};
    Source p0_in, p1_in;
    Sink p1_out, p0_out;
    uint64_t cycles = 0;

    TB() {
        top->clk = 0;
        top->rst = 1;
        top->uart_rxd = 1;
        top->mdio_i = 1;  // the bus's pull-up, no PHY
        top->eval();
        for (int i = 0; i < 20; i++) tick();
        top->rst = 0;
        for (int i = 0; i < 20; i++) tick();
    }
    ~TB() { top->final(); }
    double rnd() { return std::uniform_real_distribution<double>(0, 1)(rng); }

    void tick() {
        // inputs for this clock
        top->uart_rxd = uart.drive();
        uint32_t keep;
        bool last;
        p0_in.valid = !p0_in.frames.empty() && (p0_in.valid || rnd() < p0_in.p_valid);
        if (p0_in.valid) {
            const Frame &f = p0_in.frames.front();
            top->s_axis_p0_tdata = beat_data(f, p0_in.pos, keep, last);
            top->s_axis_p0_tkeep = keep;
            top->s_axis_p0_tlast = last;
            top->s_axis_p0_tuser = last && f.bad;
        }
        top->s_axis_p0_tvalid = p0_in.valid;
        p1_in.valid = !p1_in.frames.empty() && (p1_in.valid || rnd() < p1_in.p_valid);
        if (p1_in.valid) {
            const Frame &f = p1_in.frames.front();
            top->s_axis_p1_tdata = beat_data(f, p1_in.pos, keep, last);
            top->s_axis_p1_tkeep = keep;
            top->s_axis_p1_tlast = last;
            top->s_axis_p1_tuser = last && f.bad;
        }
        top->s_axis_p1_tvalid = p1_in.valid;
        p1_out.ready = rnd() < p1_out.p_ready;
        p0_out.ready = rnd() < p0_out.p_ready;
        top->m_axis_p1_tready = p1_out.ready;
        top->m_axis_p0_tready = p0_out.ready;
        top->clk = 0;
        top->eval();

        // handshakes of this clock
        auto take = [&](Source &s, bool ready) {
            if (s.valid && ready) {
                s.pos += KW;
                if (s.pos >= s.frames.front().data.size()) {
                    s.frames.pop_front();
                    s.pos = 0;
                }
                s.valid = false;
            }
        };
        take(p0_in, top->s_axis_p0_tready);
        take(p1_in, top->s_axis_p1_tready);
        auto give = [&](Sink &s, bool valid, uint64_t data, uint32_t keep, bool last, bool user) {
            if (!(valid && s.ready)) return;
            CHECK(!user, "tx tuser set");
            CHECK(last || keep == (uint32_t)((1ull << KW) - 1), "partial beat before the last: keep %x", keep);
            for (int i = 0; i < KW; i++)
                if (keep >> i & 1) s.cur.push_back((uint8_t)(data >> (8 * i)));
            if (last) {
                s.frames.push_back(s.cur);
                s.cur.clear();
            }
        };
        give(p1_out, top->m_axis_p1_tvalid, top->m_axis_p1_tdata, top->m_axis_p1_tkeep, top->m_axis_p1_tlast, top->m_axis_p1_tuser);
        give(p0_out, top->m_axis_p0_tvalid, top->m_axis_p0_tdata, top->m_axis_p0_tkeep, top->m_axis_p0_tlast, top->m_axis_p0_tuser);

        top->clk = 1;
        top->eval();
        uart.sample(top->uart_txd);
        ctx->timeInc(1);
        cycles++;
    }
    void run(uint64_t n) {
        for (uint64_t i = 0; i < n; i++) tick();
    }

    // UARTBone: [cmd][len][word address BE][data BE]
    void send_hdr(uint8_t cmd, uint32_t byte_addr) {
        uint32_t w = byte_addr / 4;
        uart.send(cmd);
        uart.send(1);
        for (int s = 24; s >= 0; s -= 8) uart.send((uint8_t)(w >> s));
    }
    void wr(uint32_t addr, uint32_t v) {
        send_hdr(0x01, addr);
        for (int s = 24; s >= 0; s -= 8) uart.send((uint8_t)(v >> s));
        while (!uart.bits.empty()) tick();
        run(20 * CPB);
    }
    uint32_t rd(uint32_t addr) {
        send_hdr(0x02, addr);
        uint64_t end = cycles + 200 * CPB + 2000;
        while (uart.rx.size() < 4 && cycles < end) tick();
        if (uart.rx.size() < 4) {
            CHECK(false, "no answer to a read of 0x%x", addr);
            uart.rx.clear();
            return 0xdeadbeef;
        }
        uint32_t v = 0;
        for (int i = 0; i < 4; i++) {
            v = v << 8 | uart.rx.front();
            uart.rx.pop_front();
        }
        return v;
    }
    uint64_t rd64(uint32_t addr) {
        uint64_t lo = rd(addr);
        return lo | (uint64_t)rd(addr + 4) << 32;
    }
    bool idle() const { return p0_in.frames.empty() && p1_in.frames.empty(); }
    void drain(uint64_t max) {
        uint64_t end = cycles + max;
        while (!idle() && cycles < end) tick();
        run(3000);
    }
};

static const uint8_t CLUSTER_MAC[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};

// a UDP/IPv4 frame from a client to 10.0.0.1:dport
static Bytes udp_frame(std::mt19937_64 &rng, uint16_t dport, size_t payload) {
    Bytes f(42 + payload);
    memcpy(&f[0], CLUSTER_MAC, 6);
    for (int i = 6; i < 12; i++) f[i] = (uint8_t)rng();
    f[6] &= 0xfe;
    f[12] = 0x08, f[13] = 0x00;
    uint8_t *ip = &f[14];
    ip[0] = 0x45, ip[1] = 0;
    uint16_t tl = (uint16_t)(28 + payload);
    ip[2] = tl >> 8, ip[3] = tl & 0xff;
    ip[8] = 64, ip[9] = 17;
    ip[12] = 192, ip[13] = 0, ip[14] = 2, ip[15] = (uint8_t)(1 + rng() % 200);
    ip[16] = 10, ip[17] = 0, ip[18] = 0, ip[19] = 1;
    uint8_t *udp = &f[34];
    uint16_t sport = (uint16_t)(1024 + rng() % 60000);
    udp[0] = sport >> 8, udp[1] = sport & 0xff, udp[2] = dport >> 8, udp[3] = dport & 0xff;
    udp[4] = (uint8_t)((8 + payload) >> 8), udp[5] = (uint8_t)((8 + payload) & 0xff);
    for (size_t i = 0; i < payload; i++) f[42 + i] = (uint8_t)rng();
    return f;
}
static int dport_of(const Bytes &f) { return f.size() >= 38 ? (f[36] << 8 | f[37]) : -1; }

// a frame from a processor for the source MAC test: kind 0 IPv4, 1 ARP, 2 VLAN-tagged ARP,
// 3 random bytes, 4 a near-miss EtherType (0x08xx or 0xxx06 but not 0x0806); len bytes (cut or padded)
static Bytes cluster_frame(std::mt19937_64 &rng, int kind, size_t len) {
    Bytes f(len < 64 ? 64 : len);
    for (auto &b : f) b = (uint8_t)rng();
    uint8_t proc_mac[6] = {0x02, 0x5e, 0x10, 0xa0, (uint8_t)(rng() % 16), 0x01};
    memcpy(&f[6], proc_mac, 6);
    size_t l3 = 14;
    switch (kind) {
    case 0:
        f[12] = 0x08, f[13] = 0x00;
        f[14] = 0x45;
        break;
    case 2:
        f[12] = 0x81, f[13] = 0x00, f[14] = 0x00, f[15] = 0x05, f[16] = 0x08, f[17] = 0x06;
        l3 = 18;
        // fall through
    case 1: {
        if (kind == 1) f[12] = 0x08, f[13] = 0x06;
        const uint8_t arp[8] = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, (uint8_t)(1 + rng() % 2)};
        memcpy(&f[l3], arp, 8);
        memcpy(&f[l3 + 8], proc_mac, 6);  // sender hardware address
        break;
    }
    case 4:
        if (rng() % 2) f[12] = 0x08, f[13] = (uint8_t)(rng() % 255 == 0x06 ? 0x07 : rng());
        else f[12] = (uint8_t)(0x09 + rng() % 0xf0), f[13] = 0x06;
        if (f[12] == 0x08 && f[13] == 0x06) f[13] = 0x05;
        break;
    default:
        break;
    }
    f.resize(len);
    return f;
}

// what port 0 must send for a port 1 frame with REWRITE_SRC on: byte edits on the input
static Bytes src_rewritten(const Bytes &in, const uint8_t mac[6]) {
    Bytes out = in;
    for (size_t i = 6; i < 12 && i < out.size(); i++) out[i] = mac[i - 6];
    bool arp = in.size() >= 14 && in[12] == 0x08 && in[13] == 0x06;
    if (arp)
        for (size_t i = 22; i < 28 && i < out.size(); i++) out[i] = mac[i - 22];
    return out;
}

static void mac_of(int q, uint8_t m[6]) {
    uint8_t v[6] = {0x02, 0x5e, 0x10, (uint8_t)(0xa0 + q), (uint8_t)(q * 17), (uint8_t)(0x0f ^ q)};
    memcpy(m, v, 6);
}

int main(int argc, char **argv) {
    Verilated::commandArgs(argc, argv);
    TB tb;
    const uint32_t EG = BLK_EGRESS_BASE;

    // ---------------------------------------------------------------- block chain
    uint32_t a = 0, type = 0;
    int blocks = 0;
    bool found_egress = false;
    uint32_t last_type = 0;
    do {
        type = tb.rd(a + REG_CORE_TYPE);
        if (type == BLK_EGRESS_TYPE) {
            found_egress = true;
            CHECK(a == EG, "egress block at 0x%x, want 0x%x", a, EG);
        }
        last_type = type;
        a = tb.rd(a + REG_CORE_NEXT);
        blocks++;
    } while (a != 0 && blocks < 10);
    CHECK(found_egress && blocks == 7 && last_type == BLK_BOARD_TYPE, "block chain: %d blocks, egress %s, last type 0x%08x", blocks,
          found_egress ? "found" : "missing", last_type);

    // ---------------------------------------------------------------- board block
    const uint32_t BD = BLK_BOARD_BASE;
    CHECK(tb.rd(BD + REG_BOARD_TYPE) == BLK_BOARD_TYPE, "board TYPE");
    CHECK(tb.rd(BD + REG_BOARD_BUILD_ID) == 0 && tb.rd(BD + REG_BOARD_GIT_HASH) == 0, "board identity unset by default");
    CHECK(tb.rd(BD + REG_BOARD_CLK_HZ) == 50000000u, "board CLK_HZ %u", tb.rd(BD + REG_BOARD_CLK_HZ));
    // 50 MHz: 10 clocks per MDC half period, MDC 2.5 MHz
    CHECK(tb.rd(BD + REG_BOARD_MDC_DIV) == 10, "board MDC_DIV %u", tb.rd(BD + REG_BOARD_MDC_DIV));
    {
        uint32_t before = tb.rd(BD + REG_BOARD_MDIO_STATUS);
        tb.wr(BD + REG_BOARD_MDIO_COMMAND, (3u << FLD_BOARD_MDIO_COMMAND_PHY_SHIFT) | (2u << FLD_BOARD_MDIO_COMMAND_REG_SHIFT));
        uint32_t st = tb.rd(BD + REG_BOARD_MDIO_STATUS);
        int polls = 0;
        while ((st & FLD_BOARD_MDIO_STATUS_BUSY_MASK) && polls++ < 100) st = tb.rd(BD + REG_BOARD_MDIO_STATUS);
        CHECK(!(st & FLD_BOARD_MDIO_STATUS_BUSY_MASK) && (st & FLD_BOARD_MDIO_STATUS_NO_ANSWER_MASK) &&
                  (st & FLD_BOARD_MDIO_STATUS_DATA_MASK) == 0xffff &&
                  ((st >> FLD_BOARD_MDIO_STATUS_COMPLETED_SHIFT) & 0xff) == (((before >> FLD_BOARD_MDIO_STATUS_COMPLETED_SHIFT) + 1) & 0xff),
              "MDIO read with no PHY: status 0x%08x (before 0x%08x)", st, before);
    }
    CHECK(tb.rd(EG + REG_EGRESS_VERSION) == BLK_EGRESS_VERSION, "egress VERSION");
    CHECK(tb.rd(EG + REG_EGRESS_QUEUES) == QUEUES, "egress QUEUES");
    CHECK(tb.rd(REG_CORE_DATA_WIDTH) == DW, "core DATA_WIDTH through the UART");
    CHECK(tb.rd(EG + REG_EGRESS_CONTROL) == 0, "rewrite off after reset");

    // ---------------------------------------------------------------- MAC table
    for (int q = 0; q < QUEUES; q++) {
        uint8_t m[6];
        mac_of(q, m);
        tb.wr(EG + REG_EGRESS_MAC_HI + q * REG_EGRESS_MAC_HI_STRIDE, (uint32_t)(m[0] << 8 | m[1]) | 0xabcd0000u);
        tb.wr(EG + REG_EGRESS_MAC_LO + q * REG_EGRESS_MAC_LO_STRIDE, (uint32_t)m[2] << 24 | m[3] << 16 | m[4] << 8 | m[5]);
    }
    for (int q = 0; q < QUEUES; q++) {
        uint8_t m[6];
        mac_of(q, m);
        uint32_t hi = tb.rd(EG + REG_EGRESS_MAC_HI + q * REG_EGRESS_MAC_HI_STRIDE);
        uint32_t lo = tb.rd(EG + REG_EGRESS_MAC_LO + q * REG_EGRESS_MAC_LO_STRIDE);
        CHECK(hi == (uint32_t)(m[0] << 8 | m[1]), "MAC_HI[%d] = %08x (16 bits kept)", q, hi);
        CHECK(lo == ((uint32_t)m[2] << 24 | m[3] << 16 | m[4] << 8 | m[5]), "MAC_LO[%d] = %08x", q, lo);
    }

    // ---------------------------------------------------------------- steering setup
    // address slot 0 = 10.0.0.1; listen entry q: UDP to port 1000+q -> queue q
    tb.wr(BLK_ADDR_BASE + REG_ADDR_SLOT, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_FAMILY, 4);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR0, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR1, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR2, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR3, 0x0a000001);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_COMMAND, 1);
    for (int q = 0; q < QUEUES; q++) {
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_SLOT, q);
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_FLAGS, 0x80000000u | 0x2);  // valid, IPv4, UDP, address slot 0
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_PORT, 1000 + q);
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_ACTION, q);
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_COMMAND, 1);
    }

    // ---------------------------------------------------------------- rewrite on: round robin, MACs
    tb.wr(EG + REG_EGRESS_CONTROL, 1);
    CHECK(tb.rd(EG + REG_EGRESS_CONTROL) == 1, "rewrite on");
    std::map<int, std::deque<Bytes>> want;  // per queue, in order
    int sent = 0, sent_bad = 0;
    // port 1 held: frames pile up in the queues, 3 per queue, then released
    tb.p1_out.p_ready = 0.0;
    for (int k = 0; k < 3; k++)
        for (int q = 0; q < QUEUES; q++) {
            Bytes f = udp_frame(tb.rng, (uint16_t)(1000 + q), tb.rng() % 200);
            want[q].push_back(f);
            tb.p0_in.frames.push_back({f, false});
            sent++;
        }
    tb.drain(200000);
    CHECK(tb.p1_out.frames.empty(), "nothing leaves port 1 while it is not ready");
    tb.p1_out.p_ready = 1.0;
    tb.run(20000);
    CHECK((int)tb.p1_out.frames.size() == sent, "round robin burst: %zu of %d frames out", tb.p1_out.frames.size(), sent);
    for (size_t i = 0; i + 1 < tb.p1_out.frames.size(); i++) {
        int q0 = dport_of(tb.p1_out.frames[i]) - 1000, q1 = dport_of(tb.p1_out.frames[i + 1]) - 1000;
        CHECK((q0 + 1) % QUEUES == q1, "round robin: queue %d then queue %d", q0, q1);
    }

    // random traffic with backpressure, bad frames mixed in
    tb.p1_out.p_ready = 0.6;
    tb.p0_in.p_valid = 0.8;
    for (int i = 0; i < 400; i++) {
        int q = (int)(tb.rng() % QUEUES);
        size_t pay = tb.rng() % 5 == 0 ? 1400 + tb.rng() % 550 : tb.rng() % 120;
        Bytes f = udp_frame(tb.rng, (uint16_t)(1000 + q), pay);
        bool bad = tb.rng() % 7 == 0;
        tb.p0_in.frames.push_back({f, bad});
        if (bad) {
            sent_bad++;
        } else {
            want[q].push_back(f);
            sent++;
        }
    }
    tb.drain(4000000);
    tb.run(50000);
    // port 1 is slower than port 0 here: queues fill and tail-drop (the core's rule); every
    // frame must come out intact and in order or be counted in its queue's Q_DROPS
    std::map<int, uint64_t> skipped;
    for (const Bytes &got : tb.p1_out.frames) {
        int q = dport_of(got) - 1000;
        if (q < 0 || q >= QUEUES) {
            CHECK(false, "unexpected frame on port 1 (dport %d)", q + 1000);
            continue;
        }
        bool matched = false;
        while (!want[q].empty()) {
            Bytes exp = want[q].front();
            want[q].pop_front();
            uint8_t m[6];
            mac_of(q, m);
            memcpy(&exp[0], m, 6);
            if (exp == got) {
                matched = true;
                break;
            }
            skipped[q]++;
        }
        CHECK(matched, "queue %d: a frame of %zu bytes on port 1 matches no frame sent (order or bytes wrong)", q, got.size());
    }
    uint64_t drops = 0;
    for (int q = 0; q < QUEUES; q++) {
        uint64_t qd = tb.rd64(BLK_COUNTERS_BASE + REG_COUNTERS_Q_DROPS + q * REG_COUNTERS_Q_DROPS_STRIDE);
        CHECK(qd == skipped[q] + want[q].size(), "queue %d: %lu frames missing, Q_DROPS %lu", q, (unsigned long)(skipped[q] + want[q].size()), (unsigned long)qd);
        drops += qd;
    }
    CHECK(tb.p1_out.frames.size() + drops == (size_t)sent, "port 1: %zu frames + %lu drops, %d sent", tb.p1_out.frames.size(), (unsigned long)drops, sent);
    CHECK(tb.rd(EG + REG_EGRESS_P1_TX_FRAMES) == (uint32_t)tb.p1_out.frames.size(), "P1_TX_FRAMES");
    printf("  width %d: %zu frames to port 1 with their queue's MAC, %lu tail-dropped in the core, %d bad dropped\n", DW, tb.p1_out.frames.size(), (unsigned long)drops, sent_bad);
    CHECK(tb.rd(EG + REG_EGRESS_P0_RX_BAD) == (uint32_t)sent_bad, "P0_RX_BAD %u want %d", tb.rd(EG + REG_EGRESS_P0_RX_BAD), sent_bad);
    CHECK(tb.rd64(BLK_COUNTERS_BASE + REG_COUNTERS_RX_FRAMES) == (uint64_t)sent, "core RX_FRAMES counts only good frames");

    // ---------------------------------------------------------------- rewrite off: frames unchanged
    tb.wr(EG + REG_EGRESS_CONTROL, 0);
    tb.p1_out.frames.clear();
    std::vector<Bytes> plain;
    for (int i = 0; i < 40; i++) {
        Bytes f = udp_frame(tb.rng, (uint16_t)(1000 + tb.rng() % QUEUES), tb.rng() % 300);
        plain.push_back(f);
        tb.p0_in.frames.push_back({f, false});
    }
    tb.drain(400000);
    tb.run(20000);
    CHECK(tb.p1_out.frames.size() == plain.size(), "rewrite off: %zu of %zu frames", tb.p1_out.frames.size(), plain.size());
    std::map<int, std::deque<Bytes>> plain_q;
    for (auto &f : plain) plain_q[dport_of(f)].push_back(f);
    for (auto &got : tb.p1_out.frames) {
        auto &dq = plain_q[dport_of(got)];
        CHECK(!dq.empty() && dq.front() == got, "rewrite off: frame changed");
        if (!dq.empty()) dq.pop_front();
    }

    // ---------------------------------------------------------------- port 1 -> port 0
    tb.p0_out.p_ready = 0.5;
    tb.p1_in.p_valid = 0.9;
    std::vector<Bytes> pass;
    int bad1 = 0;
    for (int i = 0; i < 300; i++) {
        size_t len = tb.rng() % 6 == 0 ? 1000 + tb.rng() % 1040 : 1 + tb.rng() % 200;
        Bytes f(len);
        for (auto &b : f) b = (uint8_t)tb.rng();
        bool bad = tb.rng() % 5 == 0;
        tb.p1_in.frames.push_back({f, bad});
        if (bad) bad1++;
        else pass.push_back(f);
    }
    // one frame larger than the receive buffer (2048 bytes): cut and dropped, counted as bad
    Bytes big(3000, 0x5a);
    tb.p1_in.frames.push_back({big, false});
    bad1++;
    Bytes after(100, 0xa5);
    tb.p1_in.frames.push_back({after, false});
    pass.push_back(after);
    tb.drain(4000000);
    tb.run(20000);
    CHECK(tb.p0_out.frames.size() == pass.size(), "port 0 got %zu frames, want %zu", tb.p0_out.frames.size(), pass.size());
    for (size_t i = 0; i < tb.p0_out.frames.size() && i < pass.size(); i++) CHECK(tb.p0_out.frames[i] == pass[i], "port 1 -> 0 frame %zu differs", i);
    CHECK(tb.rd(EG + REG_EGRESS_P1_RX_BAD) == (uint32_t)bad1, "P1_RX_BAD %u want %d", tb.rd(EG + REG_EGRESS_P1_RX_BAD), bad1);
    CHECK(tb.rd(EG + REG_EGRESS_P0_TX_FRAMES) == (uint32_t)pass.size(), "P0_TX_FRAMES");
    uint32_t p0_tx_total = (uint32_t)pass.size();

    // ---------------------------------------------------------------- port 1 -> port 0, source MAC
    const uint8_t CMAC[6] = {0x02, 0x53, 0x4e, 0xc1, 0x7e, 0x99};
    CHECK(tb.rd(EG + REG_EGRESS_CLUSTER_MAC_HI) == 0 && tb.rd(EG + REG_EGRESS_CLUSTER_MAC_LO) == 0, "CLUSTER_MAC 0 after reset");
    tb.wr(EG + REG_EGRESS_CLUSTER_MAC_HI, (uint32_t)(CMAC[0] << 8 | CMAC[1]) | 0x12340000u);
    tb.wr(EG + REG_EGRESS_CLUSTER_MAC_LO, (uint32_t)CMAC[2] << 24 | CMAC[3] << 16 | CMAC[4] << 8 | CMAC[5]);
    {
        uint32_t hi = tb.rd(EG + REG_EGRESS_CLUSTER_MAC_HI), lo = tb.rd(EG + REG_EGRESS_CLUSTER_MAC_LO);
        CHECK(hi == (uint32_t)(CMAC[0] << 8 | CMAC[1]), "CLUSTER_MAC_HI = %08x (16 bits kept)", hi);
        CHECK(lo == ((uint32_t)CMAC[2] << 24 | CMAC[3] << 16 | CMAC[4] << 8 | CMAC[5]), "CLUSTER_MAC_LO = %08x", lo);
    }
    // both CONTROL bits, each on its own
    tb.wr(EG + REG_EGRESS_CONTROL, FLD_EGRESS_CONTROL_REWRITE_SRC_MASK);
    CHECK(tb.rd(EG + REG_EGRESS_CONTROL) == FLD_EGRESS_CONTROL_REWRITE_SRC_MASK, "CONTROL: REWRITE_SRC alone");
    tb.wr(EG + REG_EGRESS_CONTROL, FLD_EGRESS_CONTROL_REWRITE_SRC_MASK | FLD_EGRESS_CONTROL_REWRITE_MAC_MASK);
    CHECK(tb.rd(EG + REG_EGRESS_CONTROL) == (FLD_EGRESS_CONTROL_REWRITE_SRC_MASK | FLD_EGRESS_CONTROL_REWRITE_MAC_MASK), "CONTROL: both bits");
    tb.wr(EG + REG_EGRESS_CONTROL, 0);
    CHECK(tb.rd(EG + REG_EGRESS_CONTROL) == 0, "CONTROL: both off");

    // the same frames with the rewrite off, then on: every length 1..64 of each kind, then random
    // lengths up to 1518 (a third of them 14..27 bytes)
    std::vector<Bytes> mix;
    int kinds[5] = {0, 0, 0, 0, 0};
    for (int kind = 0; kind < 5; kind++)
        for (size_t len = 1; len <= 64; len++) mix.push_back(cluster_frame(tb.rng, kind, len));
    for (int i = 0; i < 150; i++) {
        int kind = (int)(tb.rng() % 5);
        size_t len = tb.rng() % 3 == 0 ? 14 + tb.rng() % 14 : 28 + tb.rng() % (1518 - 28 + 1);
        if (i == 0) len = 1518;
        mix.push_back(cluster_frame(tb.rng, kind, len));
        kinds[kind]++;
    }
    // frames that came out right with a sender address rewritten, and VLAN-tagged ARP that kept its own
    int arp_rewrites = 0, vlan_kept = 0;
    for (int on = 0; on < 2; on++) {
        if (on) {
            tb.wr(EG + REG_EGRESS_CONTROL, FLD_EGRESS_CONTROL_REWRITE_SRC_MASK);
        }
        tb.p0_out.frames.clear();
        tb.p0_out.p_ready = 0.5;
        tb.p1_in.p_valid = 0.8;
        for (auto &f : mix) tb.p1_in.frames.push_back({f, false});
        tb.drain(8000000);
        tb.run(20000);
        CHECK(tb.p0_out.frames.size() == mix.size(), "source rewrite %s: port 0 got %zu frames, want %zu", on ? "on" : "off", tb.p0_out.frames.size(), mix.size());
        for (size_t i = 0; i < tb.p0_out.frames.size() && i < mix.size(); i++) {
            Bytes exp = on ? src_rewritten(mix[i], CMAC) : mix[i];
            const Bytes &got = tb.p0_out.frames[i];
            size_t at = 0;
            while (at < got.size() && at < exp.size() && got[at] == exp[at]) at++;
            if (on && got == exp) {
                bool sha = false;
                for (size_t k = 22; k < 28 && k < exp.size(); k++) sha = sha || exp[k] != mix[i][k];
                if (sha) arp_rewrites++;
                else if (exp.size() > 22 && exp[12] == 0x81 && exp[13] == 0x00 && exp[16] == 0x08 && exp[17] == 0x06) vlan_kept++;
            }
            CHECK(got == exp, "source rewrite %s: frame %zu (%zu bytes, EtherType %02x%02x) differs at byte %zu (got %zu bytes)", on ? "on" : "off", i, exp.size(),
                  exp.size() > 13 ? mix[i][12] : 0, exp.size() > 13 ? mix[i][13] : 0, at, got.size());
        }
        p0_tx_total += (uint32_t)mix.size();
    }
    CHECK(tb.rd(EG + REG_EGRESS_P0_TX_FRAMES) == p0_tx_total, "P0_TX_FRAMES after the source rewrite");
    // the length sweep alone holds 42 of each (23..64 bytes)
    CHECK(arp_rewrites >= 42 && vlan_kept >= 42, "ARP frames with the sender address rewritten: %d, VLAN-tagged ARP kept: %d", arp_rewrites, vlan_kept);
    printf("  width %d: %zu port 1 frames to port 0 with the rewrite off, then on (%d ARP, %d VLAN ARP, %d IPv4, %d random, %d near-miss beyond the length sweep)\n", DW, mix.size(), kinds[1], kinds[2], kinds[0],
           kinds[3], kinds[4]);

    // switched off and on four times while short ARP frames (28..40 bytes: mostly the rewritten
    // bytes 6..27) stream: each frame whole, rewritten or not, the setting changing exactly four times
    tb.p0_out.frames.clear();
    tb.p1_in.p_valid = 1.0;
    std::vector<Bytes> flow;
    for (int i = 0; i < 400 * KW; i++) flow.push_back(cluster_frame(tb.rng, 1, 28 + tb.rng() % 13));
    for (auto &f : flow) tb.p1_in.frames.push_back({f, false});
    tb.run(300);
    for (int flip = 0; flip < 4; flip++) {
        tb.wr(EG + REG_EGRESS_CONTROL, flip % 2 ? FLD_EGRESS_CONTROL_REWRITE_SRC_MASK : 0);
        tb.run(200 + tb.rng() % 300);
    }
    CHECK(!tb.p1_in.frames.empty(), "switching: frames still waiting after the last switch (%zu)", tb.p1_in.frames.size());
    tb.drain(8000000);
    tb.run(20000);
    CHECK(tb.p0_out.frames.size() == flow.size(), "switching: port 0 got %zu frames, want %zu", tb.p0_out.frames.size(), flow.size());
    {
        int rewritten = 0, plain_n = 0, changes = 0, mode = 1, torn = 0;
        for (size_t i = 0; i < tb.p0_out.frames.size() && i < flow.size(); i++) {
            const Bytes &got = tb.p0_out.frames[i];
            int m = got == src_rewritten(flow[i], CMAC) ? 1 : got == flow[i] ? 0 : -1;
            if (m < 0) {
                if (torn++ < 5) CHECK(false, "switching: frame %zu is neither rewritten nor unchanged", i);
                continue;
            }
            m ? rewritten++ : plain_n++;
            if (m != mode) changes++;
            mode = m;
        }
        CHECK(torn == 0 && changes == 4, "switching: %d rewritten, %d unchanged, %d torn, %d changes (want 4)", rewritten, plain_n, torn, changes);
    }
    CHECK(tb.rd(EG + REG_EGRESS_CONTROL) == FLD_EGRESS_CONTROL_REWRITE_SRC_MASK, "CONTROL after switching");

#if LEARNING
    // ---------------------------------------------------------------- transmit-side learning
    {
        const uint32_t FL = BLK_FLOW_BASE;
        tb.wr(FL + REG_FLOW_LEARN_CONTROL, 1u << FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT);
        tb.wr(EG + REG_EGRESS_CONTROL, FLD_EGRESS_CONTROL_REWRITE_MAC_MASK);  // port 1 frames carry their queue's MAC
        uint32_t l0 = tb.rd(FL + REG_FLOW_LEARNED), c0 = tb.rd(FL + REG_FLOW_COUNT);
        // a TCP/IPv4 frame, 54 bytes: src ip:sport -> dst ip:dport with the given source MAC
        auto tcp = [](const uint8_t smac[6], uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport, uint8_t flags) {
            Bytes f(54, 0);
            for (int i = 0; i < 6; i++) f[i] = 0x02, f[6 + i] = smac[i];
            f[12] = 0x08, f[13] = 0x00, f[14] = 0x45, f[17] = 40, f[22] = 64, f[23] = 6;
            for (int i = 0; i < 4; i++) f[26 + i] = (uint8_t)(sip >> (24 - 8 * i)), f[30 + i] = (uint8_t)(dip >> (24 - 8 * i));
            f[34] = sport >> 8, f[35] = sport & 0xff, f[36] = dport >> 8, f[37] = dport & 0xff;
            f[46] = 0x50, f[47] = flags;
            return f;
        };
        const uint32_t CL = 0x0a000001, REMOTE = 0xc6336409;
        uint8_t m2[6], m3[6], other[6] = {0x02, 0x77, 0x77, 0x77, 0x77, 0x77};
        mac_of(2, m2);
        mac_of(3, m3);
        tb.p0_out.frames.clear();
        tb.p1_out.frames.clear();
        tb.p1_in.p_valid = 1.0;
        tb.p1_in.frames.push_back({tcp(m2, CL, REMOTE, 40000, 443, 0x02), false});     // processor 2: learns
        tb.p1_in.frames.push_back({tcp(other, CL, REMOTE, 40001, 443, 0x02), false});  // no processor's MAC
        tb.p1_in.frames.push_back({tcp(m3, CL, REMOTE, 40002, 443, 0x02), true});      // bad FCS: never snooped
        tb.drain(200000);
        CHECK(tb.p0_out.frames.size() == 2, "transmit: %zu frames to port 0, want 2", tb.p0_out.frames.size());
        CHECK(tb.rd(FL + REG_FLOW_LEARNED) - l0 == 1 && tb.rd(FL + REG_FLOW_COUNT) - c0 == 1, "transmit: learned %u, COUNT +%u",
              tb.rd(FL + REG_FLOW_LEARNED) - l0, tb.rd(FL + REG_FLOW_COUNT) - c0);
        // the remote's answers on port 0: to 40000 by the learned entry (queue 2, MAC[2]); to
        // 40001 and 40002 by the default action (queue 0)
        uint8_t client[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
        for (uint16_t port : {40000, 40001, 40002}) tb.p0_in.frames.push_back({tcp(client, REMOTE, CL, 443, port, 0x12), false});
        tb.drain(200000);
        CHECK(tb.p1_out.frames.size() == 3, "transmit: %zu answers out of port 1, want 3", tb.p1_out.frames.size());
        uint8_t m0[6];
        mac_of(0, m0);
        for (const Bytes &got : tb.p1_out.frames) {
            int port = got.size() >= 38 ? (got[36] << 8 | got[37]) : -1;
            const uint8_t *want = port == 40000 ? m2 : m0;
            CHECK(got.size() >= 6 && memcmp(&got[0], want, 6) == 0, "transmit: the answer to port %d left with queue %d's MAC? %02x:%02x:..:%02x",
                  port, port == 40000 ? 2 : 0, got[0], got[1], got[5]);
        }
        printf("  width %d: transmit-side learning: a SYN from processor 2's MAC learned its reverse entry; no-processor and bad frames learned nothing\n", DW);
    }
#endif

    // ---------------------------------------------------------------- IPv6 and IPv4-only builds
    {
        const uint32_t FL = BLK_FLOW_BASE;
        uint32_t feat = tb.rd(FL + REG_FLOW_FEATURES);
        const uint32_t learning = FLD_FLOW_FEATURES_LEARNING_MASK | FLD_FLOW_FEATURES_EVENTS_MASK;  // the event queue comes with the engine
        CHECK(feat == ((LEARNING ? learning : 0u) | (IPV6 ? 0u : FLD_FLOW_FEATURES_IPV4_ONLY_MASK)),
              "FEATURES 0x%08x (LEARNING %d, IPV6 %d)", feat, LEARNING, IPV6);
        CHECK(tb.rd(FL + REG_FLOW_VERSION) == BLK_FLOW_VERSION, "flow VERSION 0x%08x", tb.rd(FL + REG_FLOW_VERSION));
        tb.wr(EG + REG_EGRESS_CONTROL, FLD_EGRESS_CONTROL_REWRITE_MAC_MASK);  // port 1 frames carry their queue's MAC
        tb.p1_out.p_ready = 1.0;
        tb.p0_in.p_valid = 1.0;
        tb.p1_in.p_valid = 1.0;
        // address slot 1 = 2001:db8::1; listen entry QUEUES: UDP/IPv6 to [2001:db8::1]:2000 -> queue 3
        const uint32_t CL6[4] = {0x20010db8, 0, 0, 1};
        tb.wr(BLK_ADDR_BASE + REG_ADDR_SLOT, 1);
        tb.wr(BLK_ADDR_BASE + REG_ADDR_FAMILY, 6);
        tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR0, CL6[0]);
        tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR1, CL6[1]);
        tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR2, CL6[2]);
        tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR3, CL6[3]);
        tb.wr(BLK_ADDR_BASE + REG_ADDR_COMMAND, 1);
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_SLOT, QUEUES);
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_FLAGS, 0x80000000u | (1u << 8) | 0x3);  // valid, IPv6, UDP, address slot 1
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_PORT, 2000);
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_ACTION, 3);
        tb.wr(BLK_LISTEN_BASE + REG_LISTEN_COMMAND, 1);
        // an IPv6 frame, 54 + l4 bytes: [src]:sport -> [dst]:dport, UDP (8 bytes) or TCP (20 bytes, flags)
        auto ip6 = [](const uint8_t smac[6], const uint32_t src[4], const uint32_t dst[4], uint16_t sport, uint16_t dport, bool udp, uint8_t flags) {
            Bytes f(udp ? 62 : 74, 0);
            for (int i = 0; i < 6; i++) f[i] = CLUSTER_MAC[i], f[6 + i] = smac[i];
            f[12] = 0x86, f[13] = 0xdd, f[14] = 0x60, f[19] = udp ? 8 : 20, f[20] = udp ? 17 : 6, f[21] = 64;
            for (int w = 0; w < 4; w++)
                for (int b = 0; b < 4; b++) f[22 + 4 * w + b] = (uint8_t)(src[w] >> (24 - 8 * b)), f[38 + 4 * w + b] = (uint8_t)(dst[w] >> (24 - 8 * b));
            f[54] = sport >> 8, f[55] = sport & 0xff, f[56] = dport >> 8, f[57] = dport & 0xff;
            if (udp) {
                f[59] = 8;
            } else {
                f[66] = 0x50, f[67] = flags;
            }
            return f;
        };
        // the queue whose MAC a frame out of port 1 carries (-1: none)
        auto queue_of = [](const Bytes &got) {
            for (int q = 0; q < QUEUES; q++) {
                uint8_t m[6];
                mac_of(q, m);
                if (got.size() >= 6 && memcmp(&got[0], m, 6) == 0) return q;
            }
            return -1;
        };
        const uint32_t REMOTE6[4] = {0x20010db8, 0xaaaa, 0, 9};
        uint8_t client[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
        uint64_t dflt0 = tb.rd64(BLK_COUNTERS_BASE + REG_COUNTERS_DEFAULT_HITS);
        tb.p1_out.frames.clear();
        tb.p0_in.frames.push_back({ip6(client, REMOTE6, CL6, 5000, 2000, true, 0), false});  // the IPv6 listen rule's
        tb.p0_in.frames.push_back({udp_frame(tb.rng, 1003, 20), false});                    // IPv4: listen rule 3
        tb.drain(200000);
        CHECK(tb.p1_out.frames.size() == 2, "IPv6: %zu frames out of port 1, want 2", tb.p1_out.frames.size());
        if (tb.p1_out.frames.size() == 2) {
            int q6 = queue_of(tb.p1_out.frames[0]), q4 = queue_of(tb.p1_out.frames[1]);
            CHECK(q6 == (IPV6 ? 3 : 0), "IPv6: the IPv6 frame left with queue %d's MAC, want %d (IPV6 %d)", q6, IPV6 ? 3 : 0, IPV6);
            CHECK(q4 == 3, "IPv6: the IPv4 frame beside it left with queue %d's MAC, want 3", q4);
        }
        uint64_t dflt = tb.rd64(BLK_COUNTERS_BASE + REG_COUNTERS_DEFAULT_HITS) - dflt0;
        CHECK(dflt == (IPV6 ? 0u : 1u), "IPv6: %llu default hits, want %d", (unsigned long long)dflt, IPV6 ? 0 : 1);

        // a host entry with an IPv4 key: [198.51.100.9]:443 -> slot 0:40003, queue 1; read back by lookup
        const uint32_t REMOTE = 0xc6336409;
        tb.wr(FL + REG_FLOW_KEY_FLAGS, 0);  // IPv4, TCP, address slot 0
        tb.wr(FL + REG_FLOW_KEY_PORTS, 443u << 16 | 40003);
        tb.wr(FL + REG_FLOW_KEY_SRC0, 0);
        tb.wr(FL + REG_FLOW_KEY_SRC1, 0);
        tb.wr(FL + REG_FLOW_KEY_SRC2, 0);
        tb.wr(FL + REG_FLOW_KEY_SRC3, REMOTE);
        tb.wr(FL + REG_FLOW_ACTION, 1);
        tb.wr(FL + REG_FLOW_COMMAND, 1);
        tb.run(2000);
        tb.wr(FL + REG_FLOW_KEY_SRC3, 0);  // the lookup must find the key by the table's own copy
        tb.wr(FL + REG_FLOW_KEY_SRC3, REMOTE);
        tb.wr(FL + REG_FLOW_COMMAND, 3);
        tb.run(2000);
        uint32_t rf = tb.rd(FL + REG_FLOW_RES_FLAGS), rp = tb.rd(FL + REG_FLOW_RES_PORTS);
        uint32_t r0 = tb.rd(FL + REG_FLOW_RES_SRC0), r1 = tb.rd(FL + REG_FLOW_RES_SRC1), r2 = tb.rd(FL + REG_FLOW_RES_SRC2), r3 = tb.rd(FL + REG_FLOW_RES_SRC3);
        CHECK(rf == FLD_FLOW_RES_FLAGS_VALID_MASK && rp == (443u << 16 | 40003) && r0 == 0 && r1 == 0 && r2 == 0 && r3 == REMOTE &&
                  tb.rd(FL + REG_FLOW_RES_ACTION) == 1,
              "host IPv4 entry reads back flags 0x%08x ports 0x%08x src %08x %08x %08x %08x", rf, rp, r0, r1, r2, r3);
        auto tcp4 = [](const uint8_t smac[6], uint32_t sip, uint32_t dip, uint16_t sport, uint16_t dport, uint8_t flags) {
            Bytes f(54, 0);
            for (int i = 0; i < 6; i++) f[i] = CLUSTER_MAC[i], f[6 + i] = smac[i];
            f[12] = 0x08, f[13] = 0x00, f[14] = 0x45, f[17] = 40, f[22] = 64, f[23] = 6;
            for (int i = 0; i < 4; i++) f[26 + i] = (uint8_t)(sip >> (24 - 8 * i)), f[30 + i] = (uint8_t)(dip >> (24 - 8 * i));
            f[34] = sport >> 8, f[35] = sport & 0xff, f[36] = dport >> 8, f[37] = dport & 0xff;
            f[46] = 0x50, f[47] = flags;
            return f;
        };
        tb.p1_out.frames.clear();
        tb.p0_in.frames.push_back({tcp4(client, REMOTE, 0x0a000001, 443, 40003, 0x10), false});
        tb.p0_in.frames.push_back({tcp4(client, REMOTE ^ 0x100, 0x0a000001, 443, 40003, 0x10), false});  // another source: default
        tb.drain(200000);
        CHECK(tb.p1_out.frames.size() == 2 && queue_of(tb.p1_out.frames[0]) == 1 && queue_of(tb.p1_out.frames[1]) == 0,
              "host IPv4 entry: %zu frames, queues %d, %d (want 1, 0)", tb.p1_out.frames.size(),
              tb.p1_out.frames.size() > 0 ? queue_of(tb.p1_out.frames[0]) : -1, tb.p1_out.frames.size() > 1 ? queue_of(tb.p1_out.frames[1]) : -1);
#if LEARNING
        // transmit side: processor 3's SYN from [2001:db8::1]:40010 to a remote learns the reverse
        // entry (queue 3) only with IPv6
        tb.wr(FL + REG_FLOW_LEARN_CONTROL, 1u << FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT);
        uint8_t m3[6];
        mac_of(3, m3);
        uint32_t l0 = tb.rd(FL + REG_FLOW_LEARNED), c0 = tb.rd(FL + REG_FLOW_COUNT);
        tb.p0_out.frames.clear();
        tb.p1_in.frames.push_back({ip6(m3, CL6, REMOTE6, 40010, 443, false, 0x02), false});
        tb.drain(200000);
        CHECK(tb.p0_out.frames.size() == 1, "IPv6 transmit: %zu frames to port 0, want 1", tb.p0_out.frames.size());
        uint32_t learned = tb.rd(FL + REG_FLOW_LEARNED) - l0, count = tb.rd(FL + REG_FLOW_COUNT) - c0;
        CHECK(learned == (IPV6 ? 1u : 0u) && count == (IPV6 ? 1u : 0u), "IPv6 transmit: learned %u, COUNT +%u, want %d (IPV6 %d)", learned, count,
              IPV6, IPV6);
        tb.p1_out.frames.clear();
        tb.p0_in.frames.push_back({ip6(client, REMOTE6, CL6, 443, 40010, false, 0x12), false});
        tb.drain(200000);
        CHECK(tb.p1_out.frames.size() == 1 && queue_of(tb.p1_out.frames[0]) == (IPV6 ? 3 : 0), "IPv6 transmit: the answer left with queue %d's MAC, want %d",
              tb.p1_out.frames.empty() ? -1 : queue_of(tb.p1_out.frames[0]), IPV6 ? 3 : 0);
#endif
        printf("  width %d IPV6 %d: IPv6 frames %s; IPv4 listen and host entries steer; FEATURES 0x%x\n", DW, IPV6,
               IPV6 ? (LEARNING ? "steered and learned" : "steered") : LEARNING ? "by the default action, never learned" : "by the default action", feat);
    }

    printf("nic_tb: %d passed, %d failed (DATA_WIDTH %d, %lu clocks)\n", g_pass, g_fail, DW, (unsigned long)tb.cycles);
    return g_fail ? 1 : 0;
}
