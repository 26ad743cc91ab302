// Verilator testbench of the learning engine and aging (sipnic_core with LEARNING): learning on
// SYN, the refusals (exact, quota, full, busy), every state transition, EMBRYONIC, aging of each
// state and of a host class through NOW_MS writes, SWEEPS, the command port's round robin; built
// with -DLEARNING=0 it checks that the registers read 0 and nothing is learned.
// Built by scripts/test-learn.sh (DW, CPM = CLOCKS_PER_MS, LEARNING from the command line).
// Every expectation is written here from the rules (docs/semantics.md, Learning and aging), never
// read back from the design.
#include "sipnic_regs.generated.h"

#include <cstdint>
#include <cstdio>
#include <deque>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#ifndef DW
#define DW 64
#endif
#ifndef CPM
#define CPM 15625
#endif
#ifndef LEARNING
#define LEARNING 1
#endif
static const int KW = DW / 8;
static const int QUEUES = 8;
static const int REQ_DEPTH = 4;  // sipnic_core LEARN_REQUESTS (default)
static const int US20 = 20 * CPM / 1000;  // rule 3: 20 us at the nominal clock

#include "core_harness.h"

class TB : public CoreHarness {
public:
    std::deque<Bytes> tx;
    size_t tx_off = 0;
    // frames processors transmit (the transmit snoop: one beat per clock, never held)
    std::deque<std::pair<Bytes, int>> snoop;
    size_t snoop_off = 0;
    std::vector<uint64_t> snoop_last;  // cycle of each transmitted frame's last beat
    uint64_t stalls = 0;  // clocks the receive side offered a beat that was not taken
    std::vector<int> out;  // queue of each frame that left (-1: dropped), in order of leaving
    std::vector<uint64_t> out_at;  // the cycle each of them left
    std::vector<uint64_t> last_byte;  // cycle of each sent frame's last beat
    // frames sent at a given cycle (pushed to tx then), and frames sent a given number of
    // clocks after the last beat of the n-th frame sent (n counts every frame since reset)
    std::vector<std::pair<uint64_t, Bytes>> timed;
    std::map<size_t, std::pair<uint64_t, Bytes>> follow;

    TB() : CoreHarness(64) { reset(); }

    void tick() override {
        for (size_t i = 0; i < timed.size();) {
            if (timed[i].first <= cycle) {
                tx.push_back(timed[i].second);
                timed.erase(timed.begin() + (long)i);
            } else {
                i++;
            }
        }
        if (!tx.empty()) {
            const Bytes& f = tx.front();
            int n = (int)std::min<size_t>(KW, f.size() - tx_off);
            m->s_axis_tdata = beat_word(f.data() + tx_off, n);
            m->s_axis_tkeep = (KW == 8 && n == 8) ? 0xff : ((1u << n) - 1);
            m->s_axis_tlast = tx_off + n >= f.size();
            m->s_axis_tvalid = 1;
        } else {
            m->s_axis_tvalid = 0;
            m->s_axis_tlast = 0;
        }
        if (!snoop.empty()) {
            const Bytes& f = snoop.front().first;
            int n = (int)std::min<size_t>(KW, f.size() - snoop_off);
            m->tx_axis_tdata = beat_word(f.data() + snoop_off, n);
            m->tx_axis_tkeep = (KW == 8 && n == 8) ? 0xff : ((1u << n) - 1);
            m->tx_axis_tlast = snoop_off + n >= f.size();
            m->tx_axis_tvalid = 1;
            m->tx_processor = snoop.front().second;
            snoop_off += n;
            if (snoop_off >= f.size()) {
                snoop.pop_front();
                snoop_off = 0;
                snoop_last.push_back(cycle);
            }
        } else {
            m->tx_axis_tvalid = 0;
            m->tx_axis_tlast = 0;
        }
        m->eval();
        if (m->s_axis_tvalid && !m->s_axis_tready) stalls++;
        if (m->s_axis_tvalid && m->s_axis_tready) {
            const Bytes& f = tx.front();
            tx_off += std::min<size_t>(KW, f.size() - tx_off);
            if (tx_off >= f.size()) {
                tx.pop_front();
                tx_off = 0;
                last_byte.push_back(cycle);
                auto f = follow.find(last_byte.size() - 1);
                if (f != follow.end()) {
                    timed.emplace_back(cycle + f->second.first, f->second.second);
                    follow.erase(f);
                }
            }
        }
        for (int q = 0; q < QUEUES; q++)
            if (((m->m_axis_tvalid >> q) & 1) && ((m->m_axis_tlast >> q) & 1)) {
                out.push_back(q);
                out_at.push_back(cycle);
            }
        if (m->drop_valid) {
            out.push_back(-1);
            out_at.push_back(cycle);
        }
        edge();
    }

    // sends frames back to back and waits until they all left; their queues in order
    std::vector<int> send(const std::vector<Bytes>& fs) {
        size_t n0 = out.size();
        for (const Bytes& f : fs) tx.push_back(f);
        for (int i = 0; i < 20000 && out.size() < n0 + fs.size(); i++) tick();
        CHECK(out.size() == n0 + fs.size(), "frames did not leave (%zu of %zu)", out.size() - n0, fs.size());
        run(60);  // the learning insert after the last frame
        return std::vector<int>(out.begin() + n0, out.end());
    }
    int send1(const Bytes& f) {
        std::vector<int> r = send({f});
        return r.empty() ? -2 : r[0];
    }
};

// ---------------------------------------------------------------- frames and registers
static uint32_t ip4(int a, int b, int c, int d) { return (a << 24) | (b << 16) | (c << 8) | d; }

static const uint8_t SYN = 0x02, ACK = 0x10, FIN = 0x01, RST = 0x04;
static const uint32_t CLUSTER = 0x0a000001;  // 10.0.0.1

static Bytes tcp4x(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport, uint8_t flags, uint8_t proto = 6) {
    Bytes b = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00};
    b.push_back(0x45);
    b.push_back(0);
    put16(b, 46);
    put16(b, 1);
    put16(b, 0);
    b.push_back(64);
    b.push_back(proto);
    put16(b, 0);
    put32(b, src);
    put32(b, dst);
    put16(b, sport);
    put16(b, dport);
    put32(b, 1000);
    put32(b, 0);
    b.push_back(0x50);
    b.push_back(flags);
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
    for (int i = 0; i < 6; i++) b.push_back(i);
    return b;
}
static Bytes tcp4(uint32_t src, uint16_t sport, uint16_t dport, uint8_t flags) { return tcp4x(src, CLUSTER, sport, dport, flags); }

static uint16_t F(uint16_t off) { return BLK_FLOW_BASE + off; }

struct Key {
    uint32_t src;
    uint16_t sport, dport;
};

static uint32_t flow_wait(TB& tb) {
    uint32_t st = 0;
    for (int i = 0; i < 5000; i++) {
        st = tb.rd(F(REG_FLOW_STATUS));
        if (!(st & 1)) return st;
    }
    CHECK(false, "flow command stuck busy");
    return st;
}

// a flow command on key k: its status (0 ok, 1 exists, 2 full, 3 not found)
static int flow_cmd(TB& tb, int op, const Key& k, int32_t action = 0) {
    flow_wait(tb);
    tb.wr(F(REG_FLOW_KEY_FLAGS), 0);  // tcp4, address slot 0
    tb.wr(F(REG_FLOW_KEY_PORTS), ((uint32_t)k.sport << 16) | k.dport);
    tb.wr(F(REG_FLOW_KEY_SRC0), 0);
    tb.wr(F(REG_FLOW_KEY_SRC1), 0);
    tb.wr(F(REG_FLOW_KEY_SRC2), 0);
    tb.wr(F(REG_FLOW_KEY_SRC3), k.src);
    tb.wr(F(REG_FLOW_ACTION), (uint32_t)action);
    tb.wr(F(REG_FLOW_COMMAND), op);
    return (flow_wait(tb) >> 4) & 0xf;
}

struct Meta {
    bool found;
    int action, origin, state, cls;
    uint32_t idle, hits;
};

static Meta lookup(TB& tb, const Key& k) {
    Meta r{};
    r.found = flow_cmd(tb, 3, k) == 0;
    r.action = (int)tb.rd(F(REG_FLOW_RES_ACTION));
    r.hits = tb.rd(F(REG_FLOW_RES_HITS));
    uint32_t w = tb.rd(F(REG_FLOW_RES_META));
    r.origin = w >> 31;
    r.state = (w >> 28) & 3;
    r.cls = (w >> 24) & 3;
    r.idle = w & 0x7fffff;
    return r;
}

static void set_listen(TB& tb, int idx, int port, int32_t action, bool learn) {
    tb.wr(BLK_LISTEN_BASE + REG_LISTEN_SLOT, idx);
    tb.wr(BLK_LISTEN_BASE + REG_LISTEN_FLAGS, 0x80000000u | (learn ? 0x40000000u : 0));
    tb.wr(BLK_LISTEN_BASE + REG_LISTEN_PORT, port);
    tb.wr(BLK_LISTEN_BASE + REG_LISTEN_ACTION, (uint32_t)action);
    tb.wr(BLK_LISTEN_BASE + REG_LISTEN_COMMAND, 1);
}

static uint32_t R(TB& tb, uint16_t off) { return tb.rd(F(off)); }

// waits for two more completed aging passes (every slot checked at least once since the call)
static void two_sweeps(TB& tb) {
    uint32_t s0 = R(tb, REG_FLOW_SWEEPS);
    for (int i = 0; i < 4000 && R(tb, REG_FLOW_SWEEPS) - s0 < 2; i++) tb.run(50);
    CHECK(R(tb, REG_FLOW_SWEEPS) - s0 >= 2, "SWEEPS did not advance by 2 (from %u)", s0);
}

static const int Q_LEARN = 2;  // listen port 80, LEARN
static const int Q_PLAIN = 3;  // listen port 81, no LEARN

// ---------------------------------------------------------------- tests
static void setup(TB& tb) {
    tb.wr(BLK_ADDR_BASE + REG_ADDR_SLOT, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_FAMILY, 4);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR0, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR1, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR2, 0);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_ADDR3, CLUSTER);
    tb.wr(BLK_ADDR_BASE + REG_ADDR_COMMAND, 1);
    set_listen(tb, 0, 80, Q_LEARN, true);
    set_listen(tb, 1, 81, Q_PLAIN, false);
    set_listen(tb, 2, 82, -1, true);  // learns nothing: the action drops
    // a listen entry reads back with LEARN
    tb.wr(BLK_LISTEN_BASE + REG_LISTEN_SLOT, 0);
    tb.wr(BLK_LISTEN_BASE + REG_LISTEN_COMMAND, 2);
    uint32_t fl = tb.rd(BLK_LISTEN_BASE + REG_LISTEN_FLAGS);
    CHECK(((fl >> 30) & 1) == (LEARNING ? 1u : 0u), "listen FLAGS read back 0x%08x", fl);
}

static void test_no_learning(TB& tb) {
    CHECK(R(tb, REG_FLOW_FEATURES) == 0, "FEATURES %u, want 0", R(tb, REG_FLOW_FEATURES));
    for (uint16_t off = REG_FLOW_CLOCKS_PER_MS; off <= REG_FLOW_EVENT_SKIPPED; off += 4)
        CHECK(R(tb, off) == 0, "register 0x%02x reads %u without LEARNING", off, R(tb, off));
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 7);
    CHECK(R(tb, REG_FLOW_MAX_EMBRYONIC) == 0, "MAX_EMBRYONIC written without LEARNING");
    Key k{ip4(192, 0, 2, 7), 40001, 80};
    CHECK(tb.send1(tcp4(k.src, k.sport, k.dport, SYN)) == Q_LEARN, "SYN not to its listen queue");
    CHECK(R(tb, REG_FLOW_COUNT) == 0, "an entry was learned without LEARNING");
    tb.wr(F(REG_FLOW_LEARN_CONTROL), 1);
    tb.snoop.push_back({tcp4x(CLUSTER, 0xc6336409, 40000, 443, SYN), 5});
    for (int i = 0; i < 200; i++) tb.tick();
    CHECK(R(tb, REG_FLOW_COUNT) == 0, "a transmitted SYN learned without LEARNING");
    CHECK(flow_cmd(tb, 1, k, 5) == 0, "host insert");
    CHECK(R(tb, REG_FLOW_RES_META) == 0, "RES_META 0x%08x without LEARNING", R(tb, REG_FLOW_RES_META));
}

static void test_registers(TB& tb) {
    uint32_t feat = FLD_FLOW_FEATURES_LEARNING_MASK | FLD_FLOW_FEATURES_EVENTS_MASK;
    CHECK(R(tb, REG_FLOW_FEATURES) == feat, "FEATURES 0x%x, want 0x%x", R(tb, REG_FLOW_FEATURES), feat);
    CHECK(R(tb, REG_FLOW_CLOCKS_PER_MS) == CPM, "CLOCKS_PER_MS %u, want %u", R(tb, REG_FLOW_CLOCKS_PER_MS), CPM);
    CHECK(R(tb, REG_FLOW_SYN_TIMEOUT_MS) == 5000, "SYN_TIMEOUT reset");
    CHECK(R(tb, REG_FLOW_IDLE_TIMEOUT_MS) == 300000, "IDLE_TIMEOUT reset");
    CHECK(R(tb, REG_FLOW_FIN_TIMEOUT_MS) == 10000, "FIN_TIMEOUT reset");
    CHECK(R(tb, REG_FLOW_HOST_TIMEOUT1_MS) == 0 && R(tb, REG_FLOW_HOST_TIMEOUT3_MS) == 0, "HOST_TIMEOUT reset");
    CHECK(R(tb, REG_FLOW_MAX_EMBRYONIC) == 1024, "MAX_EMBRYONIC reset");
    CHECK(R(tb, REG_FLOW_MAX_ENTRIES) == 65535, "MAX_ENTRIES reset");
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == 0 && R(tb, REG_FLOW_LEARNED) == 0, "counters reset");
    // the time base: a write sets NOW_MS and restarts the divider
    tb.wr(F(REG_FLOW_NOW_MS), 1000);
    CHECK(R(tb, REG_FLOW_NOW_MS) == 1000, "NOW_MS after a write");
    tb.wr(F(REG_FLOW_NOW_MS), 2000);
    tb.run(CPM - 40);
    CHECK(R(tb, REG_FLOW_NOW_MS) == 2000, "NOW_MS advanced early");
    tb.run(60);
    CHECK(R(tb, REG_FLOW_NOW_MS) == 2001, "NOW_MS after CLOCKS_PER_MS clocks: %u", R(tb, REG_FLOW_NOW_MS));
}

static void test_learn(TB& tb) {
    tb.wr(F(REG_FLOW_NOW_MS), 5000);
    Key k{ip4(192, 0, 2, 7), 40001, 80};
    // the SYN goes to its listen queue and creates the entry 20 us later at the latest
    CHECK(tb.send1(tcp4(k.src, k.sport, k.dport, SYN)) == Q_LEARN, "learning SYN's queue");
    CHECK(R(tb, REG_FLOW_LEARNED) == 1, "LEARNED %u", R(tb, REG_FLOW_LEARNED));
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == 1, "EMBRYONIC %u", R(tb, REG_FLOW_EMBRYONIC));
    CHECK(R(tb, REG_FLOW_COUNT) == 1, "COUNT %u", R(tb, REG_FLOW_COUNT));
    Meta m = lookup(tb, k);
    CHECK(m.found && m.action == Q_LEARN, "learned entry: found %d action %d", m.found, m.action);
    CHECK(m.origin == 1 && m.state == 0 && m.cls == 0 && m.hits == 0, "learned meta origin %d state %d class %d hits %u",
          m.origin, m.state, m.cls, m.hits);
    CHECK(m.idle == 0, "idle %u", m.idle);
    // the walk record of the entry is 8 words, the last RES_META
    tb.wr(F(REG_FLOW_WALK_SLOT), 0);
    int live = 0;
    for (int s = 0; s < 264 && !live; s++) {
        uint32_t w0 = tb.rd(F(REG_FLOW_WALK_DATA));
        if (w0 >> 31) {
            live = 1;
            uint32_t w[8];
            for (int i = 1; i < 8; i++) w[i] = tb.rd(F(REG_FLOW_WALK_DATA));
            CHECK(w[1] == (((uint32_t)k.sport << 16) | k.dport), "walk ports 0x%08x", w[1]);
            CHECK(w[5] == k.src, "walk src");
            CHECK((w[7] >> 31) == 1 && ((w[7] >> 28) & 3) == 0, "walk word 7 (meta) 0x%08x", w[7]);
        }
    }
    CHECK(live, "the walk found no entry");
    // visibility: an ACK 20 us after the SYN's last byte takes the entry (the listen rule
    // does not take an ACK: without the entry it would go to queue 0)
    Key v{ip4(192, 0, 2, 8), 40002, 80};
    int us20 = 20 * CPM / 1000;
    tb.tx.push_back(tcp4(v.src, v.sport, v.dport, SYN));
    size_t n0 = tb.out.size();
    size_t lb0 = tb.last_byte.size();
    while (tb.last_byte.size() == lb0) tb.tick();
    tb.run(us20);
    tb.tx.push_back(tcp4(v.src, v.sport, v.dport, ACK));
    for (int i = 0; i < 20000 && tb.out.size() < n0 + 2; i++) tb.tick();
    tb.run(60);
    CHECK(tb.out.size() == n0 + 2 && tb.out[n0] == Q_LEARN, "SYN of the visibility test");
    CHECK(tb.out.size() == n0 + 2 && tb.out[n0 + 1] == Q_LEARN, "ACK 20 us after the SYN went to queue %d",
          tb.out.size() == n0 + 2 ? tb.out[n0 + 1] : -9);
    CHECK(R(tb, REG_FLOW_LEARNED) == 2 && R(tb, REG_FLOW_EMBRYONIC) == 1, "after the ACK: LEARNED %u EMBRYONIC %u",
          R(tb, REG_FLOW_LEARNED), R(tb, REG_FLOW_EMBRYONIC));
    m = lookup(tb, v);
    CHECK(m.state == 1 && m.hits == 1, "ACK made the entry established: state %d hits %u", m.state, m.hits);
    // a listen rule without LEARN, and a LEARN rule whose action drops, learn nothing
    Key p{ip4(192, 0, 2, 9), 40003, 81};
    CHECK(tb.send1(tcp4(p.src, p.sport, p.dport, SYN)) == Q_PLAIN, "plain listen");
    Key d{ip4(192, 0, 2, 9), 40004, 82};
    CHECK(tb.send1(tcp4(d.src, d.sport, d.dport, SYN)) == -1, "dropping listen");
    CHECK(!lookup(tb, p).found && !lookup(tb, d).found, "learned without LEARN or from a drop");
    CHECK(R(tb, REG_FLOW_LEARNED) == 2 && R(tb, REG_FLOW_REFUSED_EXACT) == 0 && R(tb, REG_FLOW_REFUSED_QUOTA) == 0 &&
              R(tb, REG_FLOW_REFUSED_FULL) == 0 && R(tb, REG_FLOW_REFUSED_BUSY) == 0,
          "nothing counted for plain/drop listen");
    // a SYN+ACK is no connection request: the listen rule does not take it, nothing learned
    Key sa{ip4(192, 0, 2, 10), 40005, 80};
    CHECK(tb.send1(tcp4(sa.src, sa.sport, sa.dport, SYN | ACK)) == 0, "SYN+ACK to default");
    CHECK(!lookup(tb, sa).found, "SYN+ACK learned");
}

static void test_states(TB& tb) {
    uint32_t e0 = R(tb, REG_FLOW_EMBRYONIC), x0 = R(tb, REG_FLOW_REFUSED_EXACT);
    // B: retransmitted SYN (exact, stays embryonic), FIN+ACK -> closing, ACK stays closing
    Key b{ip4(198, 51, 100, 1), 1001, 80};
    tb.send1(tcp4(b.src, b.sport, b.dport, SYN));
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == e0 + 1, "B embryonic count");
    CHECK(tb.send1(tcp4(b.src, b.sport, b.dport, SYN)) == Q_LEARN, "retransmitted SYN by flow");
    CHECK(R(tb, REG_FLOW_REFUSED_EXACT) == x0 + 1, "REFUSED_EXACT %u want %u", R(tb, REG_FLOW_REFUSED_EXACT), x0 + 1);
    Meta m = lookup(tb, b);
    CHECK(m.state == 0 && m.hits == 1, "retransmitted SYN: state %d hits %u", m.state, m.hits);
    tb.send1(tcp4(b.src, b.sport, b.dport, FIN | ACK));
    m = lookup(tb, b);
    CHECK(m.state == 2, "FIN+ACK on embryonic: state %d, want closing", m.state);
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == e0, "embryonic -> closing: EMBRYONIC %u want %u", R(tb, REG_FLOW_EMBRYONIC), e0);
    tb.send1(tcp4(b.src, b.sport, b.dport, ACK));
    m = lookup(tb, b);
    CHECK(m.state == 2 && m.hits == 3, "closing is final: state %d hits %u", m.state, m.hits);
    // C: ACK -> established, RST -> closing
    Key c{ip4(198, 51, 100, 2), 1002, 80};
    tb.send1(tcp4(c.src, c.sport, c.dport, SYN));
    tb.send1(tcp4(c.src, c.sport, c.dport, ACK));
    CHECK(lookup(tb, c).state == 1, "C established");
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == e0, "embryonic -> established counted");
    tb.send1(tcp4(c.src, c.sport, c.dport, RST));
    CHECK(lookup(tb, c).state == 2, "RST on established -> closing");
    // D: SYN+FIN on embryonic -> closing (FIN wins)
    Key d{ip4(198, 51, 100, 3), 1003, 80};
    tb.send1(tcp4(d.src, d.sport, d.dport, SYN));
    tb.send1(tcp4(d.src, d.sport, d.dport, SYN | FIN));  // a connection request: exact
    CHECK(lookup(tb, d).state == 2, "SYN+FIN on embryonic -> closing");
    CHECK(R(tb, REG_FLOW_REFUSED_EXACT) == x0 + 2, "SYN+FIN on an entry counts exact");
    // E: established, FIN -> closing
    Key e{ip4(198, 51, 100, 4), 1004, 80};
    tb.send1(tcp4(e.src, e.sport, e.dport, SYN));
    tb.send1(tcp4(e.src, e.sport, e.dport, ACK));
    tb.send1(tcp4(e.src, e.sport, e.dport, FIN));
    CHECK(lookup(tb, e).state == 2, "FIN on established -> closing");
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == e0, "EMBRYONIC back to %u: %u", e0, R(tb, REG_FLOW_EMBRYONIC));
    // H: a host entry never changes state; a SYN to it counts exact
    Key h{ip4(198, 51, 100, 5), 1005, 80};
    CHECK(flow_cmd(tb, 1, h, 6) == 0, "host insert");
    CHECK(tb.send1(tcp4(h.src, h.sport, h.dport, SYN)) == 6, "SYN to a host entry");
    CHECK(R(tb, REG_FLOW_REFUSED_EXACT) == x0 + 3, "exact on a host entry");
    CHECK(tb.send1(tcp4(h.src, h.sport, h.dport, FIN | RST)) == 6, "FIN to a host entry");
    m = lookup(tb, h);
    CHECK(m.origin == 0 && m.state == 1 && m.cls == 0 && m.hits == 2, "host meta: origin %d state %d class %d hits %u",
          m.origin, m.state, m.cls, m.hits);
    // host delete of an embryonic learned entry decrements EMBRYONIC
    Key g{ip4(198, 51, 100, 6), 1006, 80};
    tb.send1(tcp4(g.src, g.sport, g.dport, SYN));
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == e0 + 1, "G embryonic");
    CHECK(flow_cmd(tb, 2, g) == 0, "host delete of a learned entry");
    CHECK(R(tb, REG_FLOW_EMBRYONIC) == e0, "host delete of an embryonic entry: EMBRYONIC %u", R(tb, REG_FLOW_EMBRYONIC));
    // a host add of a learned key is refused exists
    CHECK(flow_cmd(tb, 1, b, 1) == 1, "host add of a learned key: exists");
}

static void test_refusals(TB& tb) {
    uint32_t learned = R(tb, REG_FLOW_LEARNED);
    uint32_t emb = R(tb, REG_FLOW_EMBRYONIC);
    // quota
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), emb);
    Key q{ip4(203, 0, 113, 1), 2001, 80};
    CHECK(tb.send1(tcp4(q.src, q.sport, q.dport, SYN)) == Q_LEARN, "quota-refused SYN still to its listen queue");
    CHECK(R(tb, REG_FLOW_REFUSED_QUOTA) == 1 && !lookup(tb, q).found, "quota refusal");
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 0);
    tb.send1(tcp4(q.src, q.sport, q.dport, SYN));
    CHECK(R(tb, REG_FLOW_REFUSED_QUOTA) == 2 && !lookup(tb, q).found, "max-embryonic 0 learns nothing");
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 1024);
    // full (MAX_ENTRIES)
    uint32_t count = R(tb, REG_FLOW_COUNT);
    tb.wr(F(REG_FLOW_MAX_ENTRIES), count);
    CHECK(tb.send1(tcp4(q.src, q.sport, q.dport, SYN)) == Q_LEARN, "full-refused SYN still to its listen queue");
    CHECK(R(tb, REG_FLOW_REFUSED_FULL) == 1 && !lookup(tb, q).found, "full refusal");
    CHECK(R(tb, REG_FLOW_COUNT) == count, "COUNT changed");
    tb.wr(F(REG_FLOW_MAX_ENTRIES), 65535);
    CHECK(R(tb, REG_FLOW_LEARNED) == learned, "learned while refused");
    // queueing: REQ_DEPTH SYNs to distinct keys back to back, faster than inserts at width 64
    // (a 60-byte frame every 8 clocks): they wait in the request queue, none is refused busy
    std::vector<Bytes> burst;
    std::vector<Key> keys;
    for (int i = 0; i < REQ_DEPTH; i++) {
        keys.push_back({ip4(203, 0, 113, 10 + i), (uint16_t)(3000 + i), 80});
        burst.push_back(tcp4(keys[i].src, keys[i].sport, keys[i].dport, SYN));
    }
    std::vector<int> qs = tb.send(burst);
    for (int i = 0; i < REQ_DEPTH && i < (int)qs.size(); i++) CHECK(qs[i] == Q_LEARN, "burst SYN %d to queue %d", i, qs[i]);
    uint32_t got = R(tb, REG_FLOW_LEARNED) - learned, busy = R(tb, REG_FLOW_REFUSED_BUSY);
    int present = 0;
    for (int i = 0; i < REQ_DEPTH; i++) present += lookup(tb, keys[i]).found;
    CHECK(got == (uint32_t)REQ_DEPTH && busy == 0, "burst of %d: learned %u, busy %u", REQ_DEPTH, got, busy);
    CHECK(present == REQ_DEPTH, "burst: %d of %d entries present", present, REQ_DEPTH);
    printf("learn_tb: burst of %d SYNs: %u learned, %u busy\n", REQ_DEPTH, got, busy);
}

// Fills the table with host entries until an insert is refused full; returns how many went in.
static int fill_table(TB& tb, std::vector<Key>& keys) {
    for (int i = 0; i < 400; i++) {
        Key k{ip4(100, 64, i >> 8, i & 255), (uint16_t)(7000 + i), 443};
        int st = flow_cmd(tb, 1, k, 1);
        if (st == 2) return (int)keys.size();
        CHECK(st == 0, "fill: insert %d status %d", i, st);
        keys.push_back(k);
    }
    CHECK(false, "fill: the table took 400 entries");
    return (int)keys.size();
}

// Sends SYNs to `keys` back to back while a host INSERT into the full table (every cuckoo walk
// fails) holds the command port; returns the clocks the host command took.
static uint64_t burst_behind_host(TB& tb, const std::vector<Key>& keys) {
    flow_wait(tb);
    Key h{ip4(100, 127, 0, 1), 9, 443};
    tb.wr(F(REG_FLOW_KEY_FLAGS), 0);
    tb.wr(F(REG_FLOW_KEY_PORTS), ((uint32_t)h.sport << 16) | h.dport);
    tb.wr(F(REG_FLOW_KEY_SRC3), h.src);
    tb.wr(F(REG_FLOW_ACTION), 1);
    size_t n0 = tb.out.size();
    for (const Key& k : keys) tb.tx.push_back(tcp4(k.src, k.sport, k.dport, SYN));
    uint64_t c0 = tb.cycle;
    tb.wr(F(REG_FLOW_COMMAND), 1);  // accepted before the first SYN's lookup result
    uint32_t st = flow_wait(tb);
    uint64_t held = tb.cycle - c0;
    CHECK(((st >> 4) & 0xf) == 2, "host insert into the full table: status %u", (st >> 4) & 0xf);
    for (int i = 0; i < 20000 && tb.out.size() < n0 + keys.size(); i++) tb.tick();
    // the burst was over before the host command ended: every request waited behind it
    CHECK(tb.last_byte.back() + 20 < c0 + held, "host command (%llu clocks) ended before the burst's last lookup",
          (unsigned long long)held);
    return held;
}

// Runs until `n` queued requests have been learned or refused full (each insert into the full
// table walks every cuckoo path), or 100,000 clocks.
static void settle(TB& tb, uint32_t n, uint32_t learned0, uint32_t full0) {
    for (int i = 0; i < 1000; i++) {
        if (R(tb, REG_FLOW_LEARNED) - learned0 + R(tb, REG_FLOW_REFUSED_FULL) - full0 >= n) break;
        tb.run(100);
    }
    tb.run(100);
}

static void test_queue(TB& tb) {
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
    // a full table: inserts walk every cuckoo path and fail, so a host INSERT holds the
    // command port for thousands of clocks while the learning requests queue up behind it
    std::vector<Key> filled;
    int n = fill_table(tb, filled);
    printf("learn_tb: table full at %d entries (COUNT %u)\n", n, R(tb, REG_FLOW_COUNT));
    // full queue: REQ_DEPTH + 2 SYNs; the first REQ_DEPTH take the slots (in arrival order),
    // the last two are refused busy; the queued ones are then refused full by their inserts
    uint32_t l0 = R(tb, REG_FLOW_LEARNED), f0 = R(tb, REG_FLOW_REFUSED_FULL), b0 = R(tb, REG_FLOW_REFUSED_BUSY);
    std::vector<Key> keys;
    for (int i = 0; i < REQ_DEPTH + 2; i++) keys.push_back({ip4(203, 0, 113, 100 + i), (uint16_t)(6000 + i), 80});
    uint64_t held = burst_behind_host(tb, keys);
    settle(tb, REQ_DEPTH, l0, f0);
    uint32_t dl = R(tb, REG_FLOW_LEARNED) - l0, df = R(tb, REG_FLOW_REFUSED_FULL) - f0, db = R(tb, REG_FLOW_REFUSED_BUSY) - b0;
    CHECK(db == 2, "full queue: %u refused busy, want 2 (of %d)", db, REQ_DEPTH + 2);
    CHECK(dl + df == (uint32_t)REQ_DEPTH, "queued requests: learned %u + full %u != %d", dl, df, REQ_DEPTH);
    int present = 0;
    for (int i = 0; i < REQ_DEPTH; i++) present += lookup(tb, keys[i]).found;
    CHECK(present == (int)dl, "queued: %d present, %u learned", present, dl);
    CHECK(!lookup(tb, keys[REQ_DEPTH]).found && !lookup(tb, keys[REQ_DEPTH + 1]).found,
          "a request after the queue filled was learned (order)");
    printf("learn_tb: full queue behind a %llu-clock host insert: %u learned, %u full, %u busy\n",
           (unsigned long long)held, dl, df, db);
    // requests waiting in the queue count towards the quota of later ones (rule 7.2: entries
    // not yet visible included): quota room for 2, 4 requests queued behind the host command
    uint32_t emb = R(tb, REG_FLOW_EMBRYONIC), q0 = R(tb, REG_FLOW_REFUSED_QUOTA);
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), emb + 2);
    l0 = R(tb, REG_FLOW_LEARNED), f0 = R(tb, REG_FLOW_REFUSED_FULL), b0 = R(tb, REG_FLOW_REFUSED_BUSY);
    keys.clear();
    for (int i = 0; i < 4; i++) keys.push_back({ip4(203, 0, 113, 120 + i), (uint16_t)(6100 + i), 80});
    burst_behind_host(tb, keys);
    settle(tb, 2, l0, f0);
    dl = R(tb, REG_FLOW_LEARNED) - l0, df = R(tb, REG_FLOW_REFUSED_FULL) - f0;
    uint32_t dq = R(tb, REG_FLOW_REFUSED_QUOTA) - q0;
    CHECK(dq == 2 && dl + df == 2 && R(tb, REG_FLOW_REFUSED_BUSY) == b0,
          "quota with queued requests: quota %u (want 2), learned %u + full %u (want 2)", dq, dl, df);
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 1024);
    // an empty table for what follows
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
}

// Rule 3 with the queue full: REQ_DEPTH SYNs back to back while the host issues commands back
// to back and the aging sweep deletes expired entries; an ACK 20 us after each SYN's last byte
// must find its entry. The engine's worst case per learn without a cuckoo walk is one host
// command, one sweep READ_SLOT + DELETE and the INSERT (docs/architecture.md).
static void test_visibility_bound(TB& tb) {
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
    // host entries of class 1 (1 ms) in most slots, expired all at once by a NOW_MS jump
    tb.wr(F(REG_FLOW_NOW_MS), 100);
    tb.wr(F(REG_FLOW_HOST_TIMEOUT1_MS), 1);
    tb.wr(F(REG_FLOW_INSERT_CLASS), 1);
    const int AGING = 200;
    for (int i = 0; i < AGING; i++) flow_cmd(tb, 1, {ip4(100, 65, 0, i), (uint16_t)(100 + i), 443}, 1);
    tb.wr(F(REG_FLOW_INSERT_CLASS), 0);
    CHECK(R(tb, REG_FLOW_COUNT) == (uint32_t)AGING, "aging set-up: COUNT %u", R(tb, REG_FLOW_COUNT));
    // the host's own command: INSERT and DELETE of one key in turn (a free slot, no walk)
    Key hk{ip4(100, 66, 0, 1), 1, 443};
    CHECK(flow_cmd(tb, 1, hk, 1) == 0 && tb.rd(F(REG_FLOW_LAST_MOVES)) == 0, "host key without a walk");
    uint32_t aged0 = R(tb, REG_FLOW_AGED_HOST), l0 = R(tb, REG_FLOW_LEARNED), b0 = R(tb, REG_FLOW_REFUSED_BUSY);
    std::vector<Key> keys;
    size_t base = tb.last_byte.size() + tb.tx.size();
    size_t n0 = tb.out.size();
    tb.wr(F(REG_FLOW_NOW_MS), 200);  // every class-1 entry expired: the sweep deletes them
    for (int i = 0; i < REQ_DEPTH; i++) {
        keys.push_back({ip4(203, 0, 113, 200 + i), (uint16_t)(8000 + i), 80});
        tb.tx.push_back(tcp4(keys[i].src, keys[i].sport, keys[i].dport, SYN));
        tb.follow[base + i] = {US20 + 1, tcp4(keys[i].src, keys[i].sport, keys[i].dport, ACK)};
    }
    // host commands back to back until every ACK is out; LEARNED read between them shows when
    // each learned entry went in
    int op = 2, cmds = 0;
    uint64_t in_at[REQ_DEPTH] = {0};
    int seen = 0;
    uint32_t aged_at_last = 0;
    while (tb.out.size() < n0 + 2 * REQ_DEPTH && cmds < 5000) {
        tb.wr(F(REG_FLOW_COMMAND), op);
        flow_wait(tb);
        op = op == 1 ? 2 : 1;
        cmds++;
        uint32_t l = R(tb, REG_FLOW_LEARNED) - l0;
        while (seen < REQ_DEPTH && (int)l > seen) {
            in_at[seen++] = tb.cycle;
            if (seen == REQ_DEPTH) aged_at_last = R(tb, REG_FLOW_AGED_HOST) - aged0;
        }
    }
    tb.run(100);
    CHECK(tb.out.size() == n0 + 2 * REQ_DEPTH, "SYNs and ACKs out: %zu of %d", tb.out.size() - n0, 2 * REQ_DEPTH);
    for (int i = 0; i < REQ_DEPTH && n0 + REQ_DEPTH + i < tb.out.size(); i++)
        CHECK(tb.out[n0 + REQ_DEPTH + i] == Q_LEARN, "ACK %d, 20 us after its SYN, to queue %d (entry not visible)", i,
              tb.out[n0 + REQ_DEPTH + i]);
    CHECK(R(tb, REG_FLOW_LEARNED) - l0 == (uint32_t)REQ_DEPTH && R(tb, REG_FLOW_REFUSED_BUSY) == b0,
          "learned %u of %d, busy %u", R(tb, REG_FLOW_LEARNED) - l0, REQ_DEPTH, R(tb, REG_FLOW_REFUSED_BUSY) - b0);
    // the sweep was deleting while the requests waited, and not done when the last went in
    CHECK(aged_at_last > 0 && aged_at_last < (uint32_t)AGING, "sweep deletes during the burst: %u of %d", aged_at_last, AGING);
    if (seen == REQ_DEPTH && tb.last_byte.size() >= base + REQ_DEPTH) {
        uint64_t worst = in_at[REQ_DEPTH - 1] - tb.last_byte[base + REQ_DEPTH - 1];
        printf("learn_tb: %d SYNs behind host commands and sweep deletes: last entry in <= %llu clocks after its SYN's last byte (budget %d); %d host commands, %u aged meanwhile\n",
               REQ_DEPTH, (unsigned long long)worst, US20, cmds, aged_at_last);
    }
    two_sweeps(tb);
    CHECK(R(tb, REG_FLOW_AGED_HOST) - aged0 == (uint32_t)AGING, "all %d class-1 entries aged", AGING);
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
    tb.wr(F(REG_FLOW_HOST_TIMEOUT1_MS), 0);
}

static void test_round_robin(TB& tb) {
    // a host entry of class 1 keeps the sweep running; host lookups back to back meanwhile,
    // SYNs arriving: the host commands, the sweep and the learning all progress
    tb.wr(F(REG_FLOW_INSERT_CLASS), 1);
    tb.wr(F(REG_FLOW_HOST_TIMEOUT1_MS), 3000000);
    Key h{ip4(198, 18, 0, 1), 4000, 9};
    CHECK(flow_cmd(tb, 1, h, 1) == 0, "class-1 host insert");
    tb.wr(F(REG_FLOW_INSERT_CLASS), 0);
    CHECK(lookup(tb, h).cls == 1, "INSERT_CLASS given to the host entry");
    uint32_t s0 = R(tb, REG_FLOW_SWEEPS), l0 = R(tb, REG_FLOW_LEARNED);
    uint32_t c0 = tb.rd(F(REG_FLOW_STATUS)) >> 16;
    const int CMDS = 1500;
    // key staged once; COMMAND lookup, wait, again; a SYN every 150 commands
    int done = 0;
    for (int i = 0; i < CMDS; i++) {
        if (i % 150 == 0 && i / 150 < 8) tb.tx.push_back(tcp4(ip4(198, 18, 1, i / 150), 5000 + i / 150, 80, SYN));
        tb.wr(F(REG_FLOW_COMMAND), 3);
        flow_wait(tb);
        done++;
    }
    uint32_t c1 = tb.rd(F(REG_FLOW_STATUS)) >> 16;
    CHECK(((c1 - c0) & 0xffff) == (uint32_t)done, "host commands completed %u of %d", (c1 - c0) & 0xffff, done);
    tb.run(200);
    CHECK(R(tb, REG_FLOW_LEARNED) - l0 == 8, "SYNs learned during host commands: %u of 8", R(tb, REG_FLOW_LEARNED) - l0);
    CHECK(R(tb, REG_FLOW_SWEEPS) != s0, "no sweep progress during host commands");
    printf("learn_tb: %d host commands, %u sweeps meanwhile\n", CMDS, R(tb, REG_FLOW_SWEEPS) - s0);
    CHECK(flow_cmd(tb, 2, h) == 0, "class-1 host delete");
}

static void test_aging(TB& tb) {
    // a clean table: CLEAR also resets EMBRYONIC
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
    CHECK(R(tb, REG_FLOW_COUNT) == 0 && R(tb, REG_FLOW_EMBRYONIC) == 0, "after CLEAR: COUNT %u EMBRYONIC %u",
          R(tb, REG_FLOW_COUNT), R(tb, REG_FLOW_EMBRYONIC));
    tb.wr(F(REG_FLOW_SYN_TIMEOUT_MS), 100);
    tb.wr(F(REG_FLOW_IDLE_TIMEOUT_MS), 300);
    tb.wr(F(REG_FLOW_FIN_TIMEOUT_MS), 200);
    tb.wr(F(REG_FLOW_HOST_TIMEOUT1_MS), 500);
    tb.wr(F(REG_FLOW_HOST_TIMEOUT2_MS), 0);  // class 2 with timeout 0: never
    const uint32_t T0 = 8388000;             // near the wrap of the 23-bit clock
    Key k1{ip4(192, 0, 2, 101), 101, 80};  // embryonic
    Key k2{ip4(192, 0, 2, 102), 102, 80};  // established
    Key k3{ip4(192, 0, 2, 103), 103, 80};  // closing
    Key k4{ip4(192, 0, 2, 104), 104, 80};  // host, class 1
    Key k5{ip4(192, 0, 2, 105), 105, 80};  // host, class 0
    Key k6{ip4(192, 0, 2, 106), 106, 80};  // host, class 2 (timeout 0)
    auto at = [&](const Bytes& f) {
        tb.wr(F(REG_FLOW_NOW_MS), T0);
        tb.send1(f);
    };
    at(tcp4(k1.src, k1.sport, k1.dport, SYN));
    at(tcp4(k2.src, k2.sport, k2.dport, SYN));
    at(tcp4(k2.src, k2.sport, k2.dport, ACK));
    at(tcp4(k3.src, k3.sport, k3.dport, SYN));
    at(tcp4(k3.src, k3.sport, k3.dport, FIN | ACK));
    tb.wr(F(REG_FLOW_INSERT_CLASS), 1);
    tb.wr(F(REG_FLOW_NOW_MS), T0);
    flow_cmd(tb, 1, k4, 4);
    tb.wr(F(REG_FLOW_INSERT_CLASS), 0);
    flow_cmd(tb, 1, k5, 5);
    tb.wr(F(REG_FLOW_INSERT_CLASS), 2);
    flow_cmd(tb, 1, k6, 6);
    tb.wr(F(REG_FLOW_INSERT_CLASS), 0);
    CHECK(R(tb, REG_FLOW_COUNT) == 6 && R(tb, REG_FLOW_EMBRYONIC) == 1, "aging set-up: COUNT %u EMBRYONIC %u",
          R(tb, REG_FLOW_COUNT), R(tb, REG_FLOW_EMBRYONIC));
    auto present = [&](const Key& k) { return lookup(tb, k).found; };
    auto now = [&](uint32_t dt) {
        tb.wr(F(REG_FLOW_NOW_MS), (T0 + dt) & 0x7fffff);
        two_sweeps(tb);
    };
    now(100);  // idle 100 = SYN timeout: not removed (strictly greater)
    CHECK(present(k1) && present(k2) && present(k3) && present(k4), "idle == timeout removed something");
    CHECK(lookup(tb, k2).idle == 100, "IDLE_MS %u want 100", lookup(tb, k2).idle);
    now(101);
    CHECK(!present(k1) && present(k2) && present(k3), "embryonic aged at 101 ms");
    CHECK(R(tb, REG_FLOW_AGED_EMBRYONIC) == 1 && R(tb, REG_FLOW_EMBRYONIC) == 0, "AGED_EMBRYONIC %u EMBRYONIC %u",
          R(tb, REG_FLOW_AGED_EMBRYONIC), R(tb, REG_FLOW_EMBRYONIC));
    now(200);
    CHECK(present(k3), "closing aged at idle == fin timeout");
    now(201);
    CHECK(!present(k3) && present(k2) && R(tb, REG_FLOW_AGED_CLOSING) == 1, "closing aged at 201 ms");
    now(300);
    CHECK(present(k2), "established aged at idle == idle timeout");
    now(301);
    CHECK(!present(k2) && R(tb, REG_FLOW_AGED_ESTABLISHED) == 1, "established aged at 301 ms");
    now(500);
    CHECK(present(k4), "host class 1 aged at its timeout");
    now(501);
    CHECK(!present(k4) && R(tb, REG_FLOW_AGED_HOST) == 1, "host class 1 aged at 501 ms");
    now(4000000);
    CHECK(present(k5) && present(k6), "host class 0 / timeout 0 aged");
    CHECK(R(tb, REG_FLOW_AGED_HOST) == 1 && R(tb, REG_FLOW_AGED_EMBRYONIC) == 1 && R(tb, REG_FLOW_AGED_CLOSING) == 1 &&
              R(tb, REG_FLOW_AGED_ESTABLISHED) == 1,
          "aged counters");
    CHECK(R(tb, REG_FLOW_COUNT) == 2, "COUNT after aging %u", R(tb, REG_FLOW_COUNT));
    // a hit refreshes: a learned entry hit at +250 with idle timeout 300 lives past +301
    tb.wr(F(REG_FLOW_NOW_MS), T0);
    Key k7{ip4(192, 0, 2, 107), 107, 80};
    tb.send1(tcp4(k7.src, k7.sport, k7.dport, SYN));
    tb.wr(F(REG_FLOW_NOW_MS), (T0 + 50) & 0x7fffff);
    tb.send1(tcp4(k7.src, k7.sport, k7.dport, ACK));
    tb.wr(F(REG_FLOW_NOW_MS), (T0 + 250) & 0x7fffff);
    tb.send1(tcp4(k7.src, k7.sport, k7.dport, ACK));
    now(400);
    CHECK(present(k7), "refreshed entry aged (idle 150)");
    now(551);
    CHECK(!present(k7), "refreshed entry not aged at idle 301");
}

// ---------------------------------------------------------------- event queue
struct Event {
    uint32_t type, detail, action, words, family, slot;
    Key key;
};

static uint32_t fld(uint32_t w, uint32_t shift, uint32_t width) { return (w >> shift) & ((1u << width) - 1); }

// reads one record from EVENT_DATA; false when the read gave the empty word 0
static bool read_event(TB& tb, Event& e) {
    uint32_t w = R(tb, REG_FLOW_EVENT_DATA);
    if (w == 0) return false;
    CHECK(fld(w, FLD_FLOW_EVENT_DATA_VALID_SHIFT, 1) == 1, "event word 0 without VALID: 0x%08x", w);
    e.type = fld(w, FLD_FLOW_EVENT_DATA_TYPE_SHIFT, FLD_FLOW_EVENT_DATA_TYPE_WIDTH);
    e.detail = fld(w, FLD_FLOW_EVENT_DATA_DETAIL_SHIFT, FLD_FLOW_EVENT_DATA_DETAIL_WIDTH);
    e.action = fld(w, FLD_FLOW_EVENT_DATA_ACTION_SHIFT, FLD_FLOW_EVENT_DATA_ACTION_WIDTH);
    e.words = fld(w, FLD_FLOW_EVENT_DATA_WORDS_SHIFT, FLD_FLOW_EVENT_DATA_WORDS_WIDTH);
    e.family = fld(w, FSET_KEY_FLAGS_FAMILY_SHIFT, FSET_KEY_FLAGS_FAMILY_WIDTH);
    e.slot = fld(w, FSET_KEY_FLAGS_ADDR_SLOT_SHIFT, FSET_KEY_FLAGS_ADDR_SLOT_WIDTH);
    CHECK(e.family == 0 && e.words == 2, "event of family %u with %u words", e.family, e.words);
    uint32_t ports = R(tb, REG_FLOW_EVENT_DATA);
    e.key.sport = (uint16_t)fld(ports, FSET_PORTS_SRC_PORT_SHIFT, FSET_PORTS_SRC_PORT_WIDTH);
    e.key.dport = (uint16_t)fld(ports, FSET_PORTS_DST_PORT_SHIFT, FSET_PORTS_DST_PORT_WIDTH);
    e.key.src = R(tb, REG_FLOW_EVENT_DATA);
    return true;
}

static bool same(const Key& a, const Key& b) { return a.src == b.src && a.sport == b.sport && a.dport == b.dport; }

static void expect_event(TB& tb, uint32_t type, uint32_t detail, uint32_t action, const Key& k, const char* what) {
    Event e{};
    bool got = read_event(tb, e);
    CHECK(got && e.type == type && e.detail == detail && e.action == action && e.slot == 0 && same(e.key, k),
          "%s: got %d type %u detail %u action %u key %08x:%u->%u", what, got, e.type, e.detail, e.action, e.key.src,
          e.key.sport, e.key.dport);
}

static void test_events(TB& tb) {
    const uint32_t L = FLD_FLOW_EVENT_DATA_TYPE_LEARNED, A = FLD_FLOW_EVENT_DATA_TYPE_AGED,
                   X = FLD_FLOW_EVENT_DATA_TYPE_REFUSED;
    const uint32_t ON = FLD_FLOW_EVENT_CONTROL_ENABLE_MASK, REFUSALS = FLD_FLOW_EVENT_CONTROL_REFUSALS_MASK;
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
    CHECK(R(tb, REG_FLOW_EVENT_DEPTH) == EVENTS + 1, "EVENT_DEPTH %u, want %u", R(tb, REG_FLOW_EVENT_DEPTH), EVENTS + 1);
    CHECK(R(tb, REG_FLOW_EVENT_CONTROL) == 0 && R(tb, REG_FLOW_EVENT_PENDING) == 0, "event queue reset");
    // off: nothing written, nothing counted
    tb.wr(F(REG_FLOW_NOW_MS), 1000);
    Key k0{ip4(192, 0, 2, 200), 200, 80};
    tb.send1(tcp4(k0.src, k0.sport, k0.dport, SYN));
    CHECK(R(tb, REG_FLOW_LEARNED) > 0 && R(tb, REG_FLOW_EVENT_PENDING) == 0 && R(tb, REG_FLOW_EVENT_DATA) == 0,
          "a record while the queue is off");
    tb.wr(F(REG_FLOW_EVENT_CONTROL), ON | REFUSALS);
    CHECK(R(tb, REG_FLOW_EVENT_CONTROL) == (ON | REFUSALS), "EVENT_CONTROL read back");
    // learned: k1 stays embryonic, k2 established, k3 closing; k4 refused at the quota; k5 a host
    // entry of class 1; then everything ages
    tb.wr(F(REG_FLOW_SYN_TIMEOUT_MS), 100);
    tb.wr(F(REG_FLOW_IDLE_TIMEOUT_MS), 100);
    tb.wr(F(REG_FLOW_FIN_TIMEOUT_MS), 100);
    tb.wr(F(REG_FLOW_HOST_TIMEOUT1_MS), 100);
    Key k1{ip4(192, 0, 2, 201), 201, 80}, k2{ip4(192, 0, 2, 202), 202, 80}, k3{ip4(192, 0, 2, 203), 203, 80};
    Key k4{ip4(192, 0, 2, 204), 204, 80}, k5{ip4(192, 0, 2, 205), 205, 80};
    tb.send1(tcp4(k1.src, k1.sport, k1.dport, SYN));
    tb.send1(tcp4(k2.src, k2.sport, k2.dport, SYN));
    tb.send1(tcp4(k2.src, k2.sport, k2.dport, ACK));
    tb.send1(tcp4(k3.src, k3.sport, k3.dport, SYN));
    tb.send1(tcp4(k3.src, k3.sport, k3.dport, FIN | ACK));
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), R(tb, REG_FLOW_EMBRYONIC));
    tb.send1(tcp4(k4.src, k4.sport, k4.dport, SYN));
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 1024);
    tb.wr(F(REG_FLOW_INSERT_CLASS), 1);
    CHECK(flow_cmd(tb, 1, k5, 5) == 0, "host insert k5");
    tb.wr(F(REG_FLOW_INSERT_CLASS), 0);
    CHECK(R(tb, REG_FLOW_EVENT_PENDING) == 4, "EVENT_PENDING %u, want 4 (3 learned, 1 refused)", R(tb, REG_FLOW_EVENT_PENDING));
    expect_event(tb, L, 0, Q_LEARN, k1, "learned k1");
    CHECK(R(tb, REG_FLOW_EVENT_PENDING) == 3, "EVENT_PENDING after one record: %u", R(tb, REG_FLOW_EVENT_PENDING));
    expect_event(tb, L, 0, Q_LEARN, k2, "learned k2");
    expect_event(tb, L, 0, Q_LEARN, k3, "learned k3");
    expect_event(tb, X, 1, Q_LEARN, k4, "refused k4 at the quota");
    CHECK(R(tb, REG_FLOW_EVENT_DATA) == 0 && R(tb, REG_FLOW_EVENT_PENDING) == 0, "queue not empty after 4 records");
    tb.wr(F(REG_FLOW_NOW_MS), 1000 + 500);
    // (the sweep stops once nothing is left to age, so wait for the table to empty)
    for (int i = 0; i < 4000 && R(tb, REG_FLOW_COUNT) != 0; i++) tb.run(50);
    CHECK(R(tb, REG_FLOW_COUNT) == 0, "aging left %u entries", R(tb, REG_FLOW_COUNT));
    // k0 was learned before the queue was on: its aging is recorded like the others'
    bool seen[6] = {};
    const Key* keys[6] = {&k0, &k1, &k2, &k3, &k4, &k5};
    const uint32_t detail[6] = {0, 0, 1, 2, 0, 3}, action[6] = {Q_LEARN, Q_LEARN, Q_LEARN, Q_LEARN, 0, 5};
    int n = 0;
    Event e{};
    while (read_event(tb, e)) {
        n++;
        int i = 0;
        while (i < 6 && !same(*keys[i], e.key)) i++;
        CHECK(i < 6 && i != 4 && !seen[i] && e.type == A && e.detail == detail[i] && e.action == action[i],
              "aged record: key %08x:%u type %u detail %u action %u", e.key.src, e.key.sport, e.type, e.detail, e.action);
        if (i < 6) seen[i] = true;
    }
    CHECK(n == 5 && seen[0] && seen[1] && seen[2] && seen[3] && seen[5], "aged records: %d, want 5", n);
    CHECK(R(tb, REG_FLOW_EVENT_OVERFLOW) == 0, "overflow without a full queue");

    // overflow: EVENTS + 1 records fit (the RAM and the head), the next 3 are lost and counted;
    // refusals are written only while the queue is at most half full
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
    tb.wr(F(REG_FLOW_NOW_MS), 100000);
    tb.wr(F(REG_FLOW_SYN_TIMEOUT_MS), 1000000);
    std::vector<Key> many;
    for (int i = 0; i < EVENTS + 4; i++) {
        many.push_back({ip4(198, 18, 1, i), (uint16_t)(5000 + i), 80});
        tb.send1(tcp4(many[i].src, many[i].sport, many[i].dport, SYN));
    }
    uint32_t skipped0 = R(tb, REG_FLOW_EVENT_SKIPPED);
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 0);
    Key r{ip4(198, 18, 2, 1), 6000, 80};
    tb.send1(tcp4(r.src, r.sport, r.dport, SYN));
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 1024);
    CHECK(R(tb, REG_FLOW_EVENT_PENDING) == EVENTS + 1, "EVENT_PENDING %u with a full queue", R(tb, REG_FLOW_EVENT_PENDING));
    CHECK(R(tb, REG_FLOW_EVENT_OVERFLOW) == 3, "EVENT_OVERFLOW %u, want 3", R(tb, REG_FLOW_EVENT_OVERFLOW));
    CHECK(R(tb, REG_FLOW_EVENT_SKIPPED) == skipped0 + 1, "a refusal into a full queue not counted skipped");
    for (int i = 0; i < EVENTS + 1; i++) expect_event(tb, L, 0, Q_LEARN, many[i], "a record of the full queue");
    CHECK(R(tb, REG_FLOW_EVENT_DATA) == 0, "more records than the queue holds");
    // a record cut by ENABLE off: the queue empties, the cursor starts afresh
    Key c{ip4(198, 18, 3, 1), 7000, 80};
    tb.send1(tcp4(c.src, c.sport, c.dport, SYN));
    tb.send1(tcp4(c.src + 1, c.sport, c.dport, SYN));
    CHECK(R(tb, REG_FLOW_EVENT_DATA) != 0, "word 0 of a record");
    tb.wr(F(REG_FLOW_EVENT_CONTROL), 0);
    CHECK(R(tb, REG_FLOW_EVENT_PENDING) == 0 && R(tb, REG_FLOW_EVENT_DATA) == 0, "ENABLE off did not empty the queue");
    tb.wr(F(REG_FLOW_EVENT_CONTROL), ON);
    Key c2{c.src + 2, c.sport, c.dport};
    tb.send1(tcp4(c2.src, c2.sport, c2.dport, SYN));
    expect_event(tb, L, 0, Q_LEARN, c2, "the first record after ENABLE off and on");
    tb.wr(F(REG_FLOW_EVENT_CONTROL), 0);
    tb.wr(F(REG_FLOW_SYN_TIMEOUT_MS), 5000);
    tb.wr(F(REG_FLOW_IDLE_TIMEOUT_MS), 300000);
    tb.wr(F(REG_FLOW_FIN_TIMEOUT_MS), 10000);
    tb.wr(F(REG_FLOW_HOST_TIMEOUT1_MS), 0);
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
}

// Transmit-side learning (rule 9): a processor's connection request from the cluster address
// learns the reverse key to the processor's queue, through the same request queue.
static const uint32_t REMOTE = 0xc6336409;  // 198.51.100.9

// sends frames through the transmit snoop and lets them be parsed and learned
static void transmit(TB& tb, const std::vector<std::pair<Bytes, int>>& fs) {
    for (const auto& f : fs) tb.snoop.push_back(f);
    for (int i = 0; i < 20000 && !tb.snoop.empty(); i++) tb.tick();
    tb.run(80);
}

static void test_transmit(TB& tb) {
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
    tb.wr(F(REG_FLOW_NOW_MS), 1000);
    const int P = 5;  // the transmitting processor
    Key rev{REMOTE, 443, 40000};  // the reverse key: remote:443 -> cluster:40000
    Bytes syn = tcp4x(CLUSTER, REMOTE, 40000, 443, SYN);
    uint32_t l0 = R(tb, REG_FLOW_LEARNED), x0 = R(tb, REG_FLOW_REFUSED_EXACT);
    // off (LEARN_CONTROL reset 0): nothing learned
    CHECK(R(tb, REG_FLOW_LEARN_CONTROL) == 0, "LEARN_CONTROL reset %u", R(tb, REG_FLOW_LEARN_CONTROL));
    transmit(tb, {{syn, P}});
    CHECK(R(tb, REG_FLOW_COUNT) == 0 && R(tb, REG_FLOW_LEARNED) == l0, "learned with TRANSMIT off");
    tb.wr(F(REG_FLOW_LEARN_CONTROL), 1u << FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT);
    CHECK(R(tb, REG_FLOW_LEARN_CONTROL) == 1, "LEARN_CONTROL read back");
    // the reverse entry, embryonic, to the processor's queue; a received SYN+ACK 20 us after
    // the transmitted SYN's last beat takes it (without it: the default queue)
    size_t n0 = tb.out.size();
    tb.snoop.push_back({syn, P});
    while (!tb.snoop.empty()) tb.tick();
    tb.run(US20);
    tb.tx.push_back(tcp4x(REMOTE, CLUSTER, 443, 40000, SYN | ACK));
    for (int i = 0; i < 20000 && tb.out.size() < n0 + 1; i++) tb.tick();
    tb.run(60);
    CHECK(tb.out.size() == n0 + 1 && tb.out[n0] == P, "SYN+ACK 20 us after the transmitted SYN to queue %d",
          tb.out.size() == n0 + 1 ? tb.out[n0] : -9);
    CHECK(R(tb, REG_FLOW_LEARNED) == l0 + 1 && R(tb, REG_FLOW_COUNT) == 1, "transmit: LEARNED +%u COUNT %u",
          R(tb, REG_FLOW_LEARNED) - l0, R(tb, REG_FLOW_COUNT));
    Meta m = lookup(tb, rev);
    CHECK(m.found && m.action == P && m.origin == 1, "reverse entry: found %d action %d origin %d", m.found, m.action, m.origin);
    CHECK(m.state == 1 && m.hits == 1, "SYN+ACK made it established: state %d hits %u", m.state, m.hits);
    CHECK(!lookup(tb, {CLUSTER, 40000, 443}).found, "the forward key was learned");
    // a retransmitted SYN hits the reverse entry: refused exact, refreshed (a hit)
    tb.wr(F(REG_FLOW_NOW_MS), 1500);
    transmit(tb, {{syn, P}});
    m = lookup(tb, rev);
    CHECK(R(tb, REG_FLOW_REFUSED_EXACT) == x0 + 1 && m.hits == 2 && m.idle == 0,
          "retransmitted SYN: exact +%u hits %u idle %u", R(tb, REG_FLOW_REFUSED_EXACT) - x0, m.hits, m.idle);
    // nothing else learns or counts: a source that is no cluster address, an ACK, a SYN+ACK,
    // UDP, no processor of the adapter (>= QUEUES), and a runt
    uint32_t l1 = R(tb, REG_FLOW_LEARNED), x1 = R(tb, REG_FLOW_REFUSED_EXACT), q1 = R(tb, REG_FLOW_REFUSED_QUOTA),
             f1 = R(tb, REG_FLOW_REFUSED_FULL), b1 = R(tb, REG_FLOW_REFUSED_BUSY);
    Bytes runt(10, 0);
    transmit(tb, {{tcp4x(ip4(192, 0, 2, 99), REMOTE, 40001, 443, SYN), P},
                  {tcp4x(CLUSTER, REMOTE, 40002, 443, ACK), P},
                  {tcp4x(CLUSTER, REMOTE, 40003, 443, SYN | ACK), P},
                  {tcp4x(CLUSTER, REMOTE, 40004, 443, SYN, 17), P},
                  {tcp4x(CLUSTER, REMOTE, 40005, 443, SYN), QUEUES},
                  {tcp4x(CLUSTER, REMOTE, 40006, 443, SYN), 31},
                  {runt, P}});
    CHECK(R(tb, REG_FLOW_LEARNED) == l1 && R(tb, REG_FLOW_REFUSED_EXACT) == x1 && R(tb, REG_FLOW_REFUSED_QUOTA) == q1 &&
              R(tb, REG_FLOW_REFUSED_FULL) == f1 && R(tb, REG_FLOW_REFUSED_BUSY) == b1 && R(tb, REG_FLOW_COUNT) == 1,
          "a transmitted frame that is no learning request changed a counter or the table (COUNT %u)", R(tb, REG_FLOW_COUNT));
    // quota (rule 7 applies as on the receive side): MAX_EMBRYONIC reached
    uint32_t emb = R(tb, REG_FLOW_EMBRYONIC);
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), emb);
    transmit(tb, {{tcp4x(CLUSTER, REMOTE, 40010, 443, SYN), P}});
    CHECK(R(tb, REG_FLOW_REFUSED_QUOTA) == q1 + 1 && !lookup(tb, {REMOTE, 443, 40010}).found, "transmit quota");
    tb.wr(F(REG_FLOW_MAX_EMBRYONIC), 1024);
    // transmitted frames never hold the receive side: back-to-back received frames while
    // processors transmit connection requests back to back, all learned
    uint64_t st0 = tb.stalls;
    l1 = R(tb, REG_FLOW_LEARNED);
    n0 = tb.out.size();
    std::vector<Bytes> rx;
    for (int i = 0; i < 24; i++) {
        rx.push_back(tcp4(ip4(192, 0, 2, 150 + i), (uint16_t)(9000 + i), 81, SYN));  // plain listen: queue Q_PLAIN
        tb.snoop.push_back({tcp4x(CLUSTER, REMOTE, (uint16_t)(41000 + i), 443, SYN), 1 + i % 7});
    }
    std::vector<int> qs = tb.send(rx);
    for (int i = 0; i < 100 && !tb.snoop.empty(); i++) tb.run(100);
    tb.run(2000);
    int wrong = 0;
    for (int q : qs) wrong += q != Q_PLAIN;
    CHECK(qs.size() == rx.size() && wrong == 0, "received frames beside transmitted ones: %d of %zu wrong", wrong, qs.size());
    CHECK(tb.stalls == st0, "the receive side waited %llu clocks", (unsigned long long)(tb.stalls - st0));
    uint32_t got = R(tb, REG_FLOW_LEARNED) - l1, busy = R(tb, REG_FLOW_REFUSED_BUSY) - b1;
    CHECK(got + busy == 24, "24 transmitted requests: learned %u + busy %u", got, busy);
    int right = 0;
    for (int i = 0; i < 24; i++) {
        Meta e = lookup(tb, {REMOTE, 443, (uint16_t)(41000 + i)});
        right += e.found && e.action == 1 + i % 7;
    }
    CHECK(right == (int)got, "reverse entries with their processor's queue: %d of %u learned", right, got);
    printf("learn_tb: transmit: 24 SYNs beside 24 received frames: %u learned, %u busy, receive stalls %llu\n", got, busy,
           (unsigned long long)(tb.stalls - st0));
    tb.wr(F(REG_FLOW_LEARN_CONTROL), 0);
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
}


// The transmit snoop shares the receive side's parser (sipnic_core): a received frame of 14 bytes
// or more takes it in its last beat's clock, a transmitted header waits a clock then; a received
// runt in a clock the transmitted header takes passes beside the parser. Three collisions, each
// run with and without the transmitted SYN: A, last beats in the same clock (the SYN waits);
// B, as A and a received runt in the next clock (the waiting SYN takes the parser, the runt
// passes beside); C, the SYN's last beat with a received runt's (the same). Each time the SYN is
// learned with its processor, and the received frames leave to the same queues in the same
// clocks as without it.
static void test_transmit_collision(TB& tb) {
    tb.wr(F(REG_FLOW_LEARN_CONTROL), 1u << FLD_FLOW_LEARN_CONTROL_TRANSMIT_SHIFT);
    const Bytes runt(KW, 0xa5);
    for (int c = 0; c < 3; c++) {
        const int P = 2 + c;
        const uint16_t port = (uint16_t)(42000 + c);
        Bytes syn = tcp4x(CLUSTER, REMOTE, port, 443, SYN);
        if (c == 2) syn.resize(syn.size() + KW, 0);  // a beat longer: its last beat is the runt's
        std::vector<Bytes> rx = {tcp4(ip4(192, 0, 2, 200 + c), (uint16_t)(9100 + c), 81, SYN)};
        if (c > 0) rx.push_back(runt);
        // a drop is seen at the dispatcher, a frame when its last beat leaves its queue
        std::vector<int> want = {Q_PLAIN};
        if (c > 0) want.insert(want.begin(), -1);
        std::vector<int> q[2];
        std::vector<uint64_t> at[2];
        uint32_t l0 = R(tb, REG_FLOW_LEARNED);
        for (int with = 0; with < 2; with++) {
            tb.run(100);
            size_t n0 = tb.out.size(), r0 = tb.last_byte.size(), s0 = tb.snoop_last.size();
            uint64_t t0 = tb.cycle, st0 = tb.stalls;
            for (const Bytes& f : rx) tb.tx.push_back(f);
            if (with) tb.snoop.push_back({syn, P});
            for (int i = 0; i < 20000 && tb.out.size() < n0 + rx.size(); i++) tb.tick();
            tb.run(200);
            CHECK(tb.stalls == st0, "collision %c: the receive side waited", 'A' + c);
            for (size_t i = n0; i < tb.out.size(); i++) {
                q[with].push_back(tb.out[i]);
                at[with].push_back(tb.out_at[i] - t0);
            }
            if (with && tb.snoop_last.size() == s0 + 1 && tb.last_byte.size() == r0 + rx.size()) {
                uint64_t ts = tb.snoop_last[s0];
                bool aligned = c == 0 ? ts == tb.last_byte[r0]
                             : c == 1 ? ts == tb.last_byte[r0] && tb.last_byte[r0 + 1] == ts + 1
                                      : ts == tb.last_byte[r0 + 1];
                CHECK(aligned, "collision %c: last beats not aligned as meant", 'A' + c);
            } else if (with) {
                CHECK(false, "collision %c: frames not sent", 'A' + c);
            }
        }
        CHECK(q[0] == want, "collision %c: received frames without the SYN: %zu left", 'A' + c, q[0].size());
        CHECK(q[1] == q[0] && at[1] == at[0], "collision %c: received frames steered differently beside the SYN",
              'A' + c);
        Meta m = lookup(tb, {REMOTE, 443, port});
        CHECK(R(tb, REG_FLOW_LEARNED) == l0 + 1 && m.found && m.action == P && m.origin == 1,
              "collision %c: transmitted SYN learned +%u found %d action %d (want %d)", 'A' + c,
              R(tb, REG_FLOW_LEARNED) - l0, m.found, m.action, P);
    }
    tb.wr(F(REG_FLOW_LEARN_CONTROL), 0);
    tb.wr(F(REG_FLOW_COMMAND), 5);
    flow_wait(tb);
}

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    TB tb;
    setup(tb);
#if LEARNING
    test_registers(tb);
    test_learn(tb);
    test_states(tb);
    test_refusals(tb);
    test_round_robin(tb);
    test_aging(tb);
    test_events(tb);
    test_queue(tb);
    test_visibility_bound(tb);
    test_transmit(tb);
    test_transmit_collision(tb);
#else
    test_no_learning(tb);
#endif
    printf("learn_tb: DW=%d LEARNING=%d cycles=%llu\n", DW, LEARNING, (unsigned long long)tb.cycle);
    printf("learn_tb: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
