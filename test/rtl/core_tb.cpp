// Quick Verilator testbench for sipnic_core: parse cases, register programming, back-to-back
// throughput, a stalled queue. Built by scripts/test-core.sh (one build per DATA_WIDTH).
#include "sipnic_regs.generated.h"  // scripts/gen-regs.mjs, from rtl/regs.json

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <vector>

#ifndef DW
#define DW 64
#endif
static const int KW = DW / 8;
static const int QUEUES = 8;

#include "core_harness.h"

struct Out {
    uint32_t id;
    int queue;  // -1 drop
    int reason;
    Bytes data;
    uint64_t cycle;
};

// ---------------------------------------------------------------- port access per width
static uint8_t byte_of(uint64_t v, int bit) { return (uint8_t)((v >> bit) & 0xff); }
template <std::size_t N>
static uint8_t byte_of(const VlWide<N>& v, int bit) {
    return (uint8_t)((v[bit / 32] >> (bit % 32)) & 0xff);
}
static uint8_t get_mbyte(Vsipnic_core* m, int q, int lane) { return byte_of(m->m_axis_tdata, q * DW + lane * 8); }

static uint32_t get_tuser(Vsipnic_core* m, int q) { return m->m_axis_tuser[q]; }

// ---------------------------------------------------------------- harness
class TB : public CoreHarness {
public:
    std::deque<Bytes> tx;         // frames waiting to be sent
    size_t tx_off = 0;            // byte offset in tx.front()
    bool tx_gap = false;          // insert an idle clock between frames
    bool gap_now = false;
    uint32_t sent = 0;
    uint64_t ready_low = 0;       // clocks with tvalid high and tready low
    uint64_t first_beat = 0, last_beat = 0;
    bool any_beat = false;

    uint32_t qready = 0xffffffff;
    bool random_ready = false;    // each queue's tready random (25% high) every clock
    uint32_t lfsr = 0xace1u;
    std::vector<Bytes> cur;       // partial frame per queue
    std::vector<int64_t> cur_id;
    std::vector<Out> out;
    std::map<uint32_t, int> seen;

    TB() : CoreHarness(8), cur(QUEUES), cur_id(QUEUES, -1) { reset(); }

    void drive() {
        if (!tx.empty() && !gap_now) {
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
        uint32_t r = qready;
        if (random_ready) {
            lfsr = lfsr * 1664525u + 1013904223u;
            uint32_t a = lfsr >> 8;
            lfsr = lfsr * 1664525u + 1013904223u;
            r &= a & (lfsr >> 8);
        }
        m->m_axis_tready = r & ((1u << QUEUES) - 1);
    }

    void tick() override {
        drive();
        m->eval();
        // sample handshakes before the edge
        bool acc = m->s_axis_tvalid && m->s_axis_tready;
        if (m->s_axis_tvalid && !m->s_axis_tready) ready_low++;
        bool was_gap = gap_now;
        gap_now = false;
        if (acc) {
            if (!any_beat) first_beat = cycle;
            any_beat = true;
            last_beat = cycle;
            const Bytes& f = tx.front();
            tx_off += std::min<size_t>(KW, f.size() - tx_off);
            if (tx_off >= f.size()) {
                tx.pop_front();
                tx_off = 0;
                sent++;
                gap_now = tx_gap;
            }
        } else if (was_gap) {
            gap_now = false;
        }
        for (int q = 0; q < QUEUES; q++) {
            bool v = (m->m_axis_tvalid >> q) & 1, r = (m->m_axis_tready >> q) & 1;
            if (v && r) {
                uint32_t id = get_tuser(m.get(), q);
                if (cur[q].empty()) cur_id[q] = id;
                else if (cur_id[q] != id) CHECK(false, "tuser changed inside a frame q%d", q);
                int keep = (m->m_axis_tkeep >> (q * KW)) & ((1 << KW) - 1);
                for (int l = 0; l < KW; l++)
                    if ((keep >> l) & 1) cur[q].push_back(get_mbyte(m.get(), q, l));
                if ((m->m_axis_tlast >> q) & 1) {
                    out.push_back({(uint32_t)cur_id[q], q, 0, cur[q], cycle});
                    seen[cur_id[q]]++;
                    cur[q].clear();
                }
            }
        }
        if (m->drop_valid) {
            out.push_back({m->drop_id, -1, (int)m->drop_reason, Bytes(), cycle});
            seen[m->drop_id]++;
        }
        edge();
    }

    uint64_t rd64(uint16_t a) {
        uint64_t lo = rd(a);
        uint64_t hi = rd(a + 4);
        return lo | (hi << 32);
    }

    bool idle_wait(uint32_t expect_frames, int max) {
        for (int i = 0; i < max; i++) {
            if (tx.empty() && seen.size() >= expect_frames) return true;
            tick();
        }
        return false;
    }
};

// ---------------------------------------------------------------- frame builders
struct L4 {
    bool udp;
    uint16_t sport, dport;
    uint8_t flags;
};

static Bytes eth(std::vector<uint16_t> tags, uint16_t et) {
    Bytes b = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
    for (uint16_t t : tags) {
        put16(b, t);
        put16(b, 0x0064);
    }
    put16(b, et);
    return b;
}

static void l4hdr(Bytes& b, const L4& l) {
    put16(b, l.sport);
    put16(b, l.dport);
    if (l.udp) {
        put16(b, 8 + 10);
        put16(b, 0);
    } else {
        put32(b, 1000);
        put32(b, 0);
        b.push_back(0x50);
        b.push_back(l.flags);
        put16(b, 65535);
        put16(b, 0);
        put16(b, 0);
    }
}

static Bytes ipv4(std::vector<uint16_t> tags, uint32_t src, uint32_t dst, L4 l, int ihl = 5,
                  uint16_t frag = 0, int version = 4, int payload = 10) {
    Bytes b = eth(tags, 0x0800);
    b.push_back((version << 4) | ihl);
    b.push_back(0);
    put16(b, 0);
    put16(b, 1);
    put16(b, frag);
    b.push_back(64);
    b.push_back(l.udp ? 17 : 6);
    put16(b, 0);
    put32(b, src);
    put32(b, dst);
    for (int i = 5; i < ihl; i++) put32(b, 0x01010101);
    l4hdr(b, l);
    for (int i = 0; i < payload; i++) b.push_back(i);
    return b;
}

static Bytes ipv6(std::vector<uint16_t> tags, const uint8_t* src, const uint8_t* dst, L4 l,
                  int nh = -1, int payload = 10) {
    Bytes b = eth(tags, 0x86dd);
    put32(b, 0x60000000);
    put16(b, 0);
    b.push_back(nh >= 0 ? nh : (l.udp ? 17 : 6));
    b.push_back(64);
    for (int i = 0; i < 16; i++) b.push_back(src[i]);
    for (int i = 0; i < 16; i++) b.push_back(dst[i]);
    l4hdr(b, l);
    for (int i = 0; i < payload; i++) b.push_back(i);
    return b;
}

static Bytes filler(size_t n) {
    Bytes b = eth({}, 0x0806);
    while (b.size() < n) b.push_back((uint8_t)b.size());
    b.resize(n);
    return b;
}

static uint32_t ip4(int a, int b, int c, int d) { return (a << 24) | (b << 16) | (c << 8) | d; }

static const uint8_t V6_CLUSTER[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
static const uint8_t V6_CLIENT[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7};

// ---------------------------------------------------------------- programming helpers
static uint16_t A(uint16_t base, uint16_t off) { return base + off; }

static void set_addr(TB& tb, int slot, int family, const uint32_t w[4]) {
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_SLOT), slot);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_FAMILY), family);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_ADDR0), w[0]);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_ADDR1), w[1]);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_ADDR2), w[2]);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_ADDR3), w[3]);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_COMMAND), 1);
}

static void set_listen(TB& tb, int idx, bool v6, bool udp, int slot, int port, int32_t action) {
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_SLOT), idx);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_FLAGS), 0x80000000u | (slot << 8) | (udp << 1) | v6);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_PORT), port);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_ACTION), (uint32_t)action);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_COMMAND), 1);
}

static uint32_t flow_wait(TB& tb) {
    uint32_t st = 0;
    for (int i = 0; i < 5000; i++) {
        st = tb.rd(A(BLK_FLOW_BASE, REG_FLOW_STATUS));
        if (!(st & 1)) return st;
    }
    CHECK(false, "flow command stuck busy");
    return st;
}

static uint32_t flow_cmd(TB& tb, int op, bool v6, bool udp, int slot, const uint32_t src[4], int sport,
                         int dport, int32_t action) {
    flow_wait(tb);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_KEY_FLAGS), (slot << 8) | (udp << 1) | v6);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_KEY_PORTS), (sport << 16) | dport);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_KEY_SRC0), src[0]);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_KEY_SRC1), src[1]);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_KEY_SRC2), src[2]);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_KEY_SRC3), src[3]);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_ACTION), (uint32_t)action);
    tb.wr(A(BLK_FLOW_BASE, REG_FLOW_COMMAND), op);
    return (flow_wait(tb) >> 4) & 0xf;
}

struct Expect {
    Bytes f;
    int queue;   // -1 drop
    int reason;  // drop reason
    int hit;     // 0 flow 1 listen 2 default -1 none (runt/oversize)
    const char* name;
};

// checks outputs against expectations (ids from base, in send order)
static void check_outputs(TB& tb, uint32_t base, const std::vector<Expect>& ex, bool allow_full = false) {
    std::map<uint32_t, const Out*> by_id;
    for (const Out& o : tb.out) by_id[o.id] = &o;
    for (size_t i = 0; i < ex.size(); i++) {
        uint32_t id = base + i;
        auto it = by_id.find(id);
        if (it == by_id.end()) {
            CHECK(false, "[%s] frame id %u never left", ex[i].name, id);
            continue;
        }
        const Out& o = *it->second;
        CHECK(tb.seen[id] == 1, "[%s] frame id %u left %d times", ex[i].name, id, tb.seen[id]);
        bool full_ok = allow_full && ex[i].queue >= 0 && o.queue == -1 && o.reason == DROP_QUEUE_FULL;
        CHECK(full_ok || (o.queue == ex[i].queue && o.reason == ex[i].reason), "[%s] id %u: got queue %d reason %d, want queue %d reason %d",
              ex[i].name, id, o.queue, o.reason, ex[i].queue, ex[i].reason);
        if (o.queue >= 0) CHECK(o.data == ex[i].f, "[%s] id %u data differs (%zu vs %zu bytes)", ex[i].name, id, o.data.size(), ex[i].f.size());
    }
}

// ---------------------------------------------------------------- tests
static const uint32_t ZERO4[4] = {0, 0, 0, 0};

static void program_rules(TB& tb) {
    uint32_t a0[4] = {0, 0, 0, ip4(10, 0, 0, 1)};
    set_addr(tb, 0, 4, a0);
    uint32_t a1[4] = {0x20010db8, 0, 0, 1};
    set_addr(tb, 1, 6, a1);
    set_listen(tb, 0, false, false, 0, 80, 1);
    set_listen(tb, 1, true, true, 1, 53, 3);
    set_listen(tb, 2, false, false, 0, 81, -1);
    set_listen(tb, 3, false, true, 0, 99, 20);
    set_listen(tb, 4, false, false, 0, 80, 5);  // shadowed by entry 0
    uint32_t src[4] = {0, 0, 0, ip4(192, 0, 2, 7)};
    uint32_t st = flow_cmd(tb, 1, false, false, 0, src, 40001, 80, 2);
    CHECK(st == 0, "flow insert status %u", st);
    st = flow_cmd(tb, 1, false, false, 0, src, 40001, 80, 2);
    CHECK(st == 1, "flow re-insert status %u (want exists)", st);
    uint32_t src6[4] = {0x20010db8, 0, 0, 7};
    st = flow_cmd(tb, 1, true, true, 1, src6, 5000, 53, 6);
    CHECK(st == 0, "flow6 insert status %u", st);
    uint32_t dropsrc[4] = {0, 0, 0, ip4(192, 0, 2, 66)};
    st = flow_cmd(tb, 1, false, true, 0, dropsrc, 1, 2, -1);
    CHECK(st == 0, "flow drop insert status %u", st);
    CHECK(tb.rd(A(BLK_FLOW_BASE, REG_FLOW_COUNT)) == 3, "flow COUNT");
}

static void test_registers(TB& tb) {
    // walk the block chain
    uint16_t a = 0;
    int blocks = 0;
    uint32_t types[8];
    do {
        types[blocks++] = tb.rd(a + REG_CORE_TYPE);
        a = tb.rd(a + REG_CORE_NEXT);
    } while (a != 0 && blocks < 8);
    // counters.NEXT points at the egress block of sipnic_nic; a bare core has nothing there (TYPE 0, NEXT 0)
    CHECK(blocks == 6 && types[5] == 0, "block chain length %d", blocks);
    CHECK(types[0] == BLK_CORE_TYPE && types[4] == BLK_COUNTERS_TYPE, "block types");
    CHECK(tb.rd(REG_CORE_DATA_WIDTH) == DW, "DATA_WIDTH reg");
    CHECK(tb.rd(REG_CORE_QUEUES) == QUEUES, "QUEUES reg");
    tb.wr(REG_CORE_SCRATCH, 0xdeadbeef);
    CHECK(tb.rd(REG_CORE_SCRATCH) == 0xdeadbeef, "SCRATCH");
    CHECK(tb.rd(REG_CORE_DEFAULT_ACTION) == 0, "DEFAULT_ACTION reset");
    tb.wr(REG_CORE_DEFAULT_ACTION, 0xffffffff);
    CHECK(tb.rd(REG_CORE_DEFAULT_ACTION) == 0xffffffff, "DEFAULT_ACTION -1");
    tb.wr(REG_CORE_DEFAULT_ACTION, 0);
    // addr read back
    uint32_t w[4] = {1, 2, 3, 4};
    set_addr(tb, 5, 6, w);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_FAMILY), 0);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_ADDR2), 0);
    tb.wr(A(BLK_ADDR_BASE, REG_ADDR_COMMAND), 2);
    CHECK(tb.rd(A(BLK_ADDR_BASE, REG_ADDR_FAMILY)) == 6 && tb.rd(A(BLK_ADDR_BASE, REG_ADDR_ADDR2)) == 3, "addr read back");
    uint32_t z[4] = {0, 0, 0, 0};
    set_addr(tb, 5, 0, z);
    // listen read back
    set_listen(tb, 9, true, true, 3, 4242, -1);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_PORT), 0);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_COMMAND), 2);
    CHECK(tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_PORT)) == 4242 && tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_ACTION)) == 0xffffffff &&
              tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_FLAGS)) == 0x80000303u,
          "listen read back");
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_FLAGS), 0);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_COMMAND), 1);
    CHECK(tb.rd(A(BLK_FLOW_BASE, REG_FLOW_LOOKUP_LATENCY)) > 0, "LOOKUP_LATENCY");
}

static void test_parse(TB& tb) {
    uint32_t base = tb.rd(REG_CORE_FRAME_ID);
    uint32_t C = ip4(10, 0, 0, 1), X = ip4(192, 0, 2, 9), F = ip4(192, 0, 2, 7);
    L4 syn80 = {false, 33333, 80, 0x02};
    std::vector<Expect> ex;
    ex.push_back({ipv4({}, X, C, syn80), 1, 0, 1, "tcp4 syn listen"});
    ex.push_back({ipv4({}, X, C, {false, 33333, 80, 0x12}), 0, 0, 2, "tcp4 syn+ack default"});
    ex.push_back({ipv4({}, X, C, {false, 33333, 80, 0x10}), 0, 0, 2, "tcp4 ack default"});
    ex.push_back({ipv4({}, F, C, {false, 40001, 80, 0x10}), 2, 0, 0, "tcp4 flow"});
    ex.push_back({ipv4({}, F, C, {false, 40001, 80, 0x02}), 2, 0, 0, "tcp4 flow beats listen"});
    ex.push_back({ipv4({0x8100}, X, C, syn80), 1, 0, 1, "one vlan"});
    ex.push_back({ipv4({0x88a8, 0x8100}, X, C, syn80), 1, 0, 1, "two vlans"});
    ex.push_back({ipv4({0x8100, 0x8100, 0x8100}, X, C, syn80), 0, 0, 2, "three vlans"});
    ex.push_back({ipv4({}, X, C, syn80, 6), 1, 0, 1, "ihl 6"});
    ex.push_back({ipv4({0x8100}, X, C, syn80, 15, 0, 4, 0), 1, 0, 1, "ihl 15 vlan"});
    ex.push_back({ipv4({}, X, C, syn80, 4), 0, 0, 2, "ihl 4"});
    ex.push_back({ipv4({}, X, C, syn80, 5, 0x2000), 0, 0, 2, "MF"});
    ex.push_back({ipv4({}, X, C, syn80, 5, 0x0001), 0, 0, 2, "frag offset"});
    ex.push_back({ipv4({}, X, C, syn80, 5, 0x4000), 1, 0, 1, "DF ok"});
    ex.push_back({ipv4({}, X, C, syn80, 5, 0, 5), 0, 0, 2, "version 5"});
    {
        Bytes t = ipv4({}, X, C, syn80, 5, 0, 4, 0);
        t.resize(14 + 20 + 19);
        ex.push_back({t, 0, 0, 2, "tcp hdr truncated"});
        t = ipv4({}, X, C, syn80, 5, 0, 4, 0);
        ex.push_back({t, 1, 0, 1, "tcp exact"});
        Bytes u = ipv4({}, X, C, {true, 1, 99, 0}, 5, 0, 4, 0);
        ex.push_back({u, -1, DROP_BAD_QUEUE, 1, "udp4 exact, bad queue"});
        u.resize(u.size() - 1);
        ex.push_back({u, 0, 0, 2, "udp hdr truncated"});
        Bytes o = ipv4({}, X, C, syn80, 8, 0, 4, 0);
        o.resize(14 + 30);
        ex.push_back({o, 0, 0, 2, "ipv4 options truncated"});
    }
    ex.push_back({ipv4({}, X, C, {false, 1, 81, 0x02}), -1, DROP_RULE, 1, "listen drop rule"});
    ex.push_back({ipv4({}, ip4(192, 0, 2, 66), C, {true, 1, 2, 0}), -1, DROP_RULE, 0, "flow drop rule"});
    ex.push_back({ipv4({}, X, ip4(10, 0, 0, 2), syn80), 0, 0, 2, "other dst"});
    ex.push_back({ipv4({}, X, C, {true, 33333, 80, 0}), 0, 0, 2, "udp to tcp listen"});
    ex.push_back({ipv6({}, V6_CLIENT, V6_CLUSTER, {true, 1234, 53, 0}), 3, 0, 1, "udp6 listen"});
    ex.push_back({ipv6({0x8100}, V6_CLIENT, V6_CLUSTER, {true, 5000, 53, 0}), 6, 0, 0, "udp6 flow vlan"});
    ex.push_back({ipv6({}, V6_CLIENT, V6_CLUSTER, {true, 1234, 53, 0}, 0), 0, 0, 2, "ipv6 hop-by-hop"});
    {
        Bytes t = ipv6({}, V6_CLIENT, V6_CLUSTER, {true, 1234, 53, 0}, -1, 0);
        t.resize(t.size() - 1);
        ex.push_back({t, 0, 0, 2, "udp6 truncated"});
    }
    ex.push_back({filler(13), -1, DROP_RUNT, -1, "runt 13"});
    ex.push_back({filler(1), -1, DROP_RUNT, -1, "runt 1"});
    ex.push_back({filler(14), 0, 0, 2, "min 14"});
    ex.push_back({filler(9023), -1, DROP_OVERSIZE, -1, "oversize 9023"});
    ex.push_back({filler(12000), -1, DROP_OVERSIZE, -1, "oversize 12000"});
    ex.push_back({filler(9022), 0, 0, 2, "max 9022"});
    ex.push_back({filler(60), 0, 0, 2, "arp"});

    for (auto& e : ex) tb.tx.push_back(e.f);
    CHECK(tb.idle_wait(tb.seen.size() + ex.size(), 200000), "parse frames did not all complete");
    check_outputs(tb, base, ex);

    // default action changes
    base = tb.rd(REG_CORE_FRAME_ID);
    std::vector<Expect> ex2;
    tb.wr(REG_CORE_DEFAULT_ACTION, 4);
    ex2.push_back({filler(64), 4, 0, 2, "default 4"});
    for (auto& e : ex2) tb.tx.push_back(e.f);
    tb.idle_wait(tb.seen.size() + 1, 10000);
    tb.wr(REG_CORE_DEFAULT_ACTION, 0xffffffff);
    ex2.push_back({filler(64), -1, DROP_RULE, 2, "default drop"});
    tb.tx.push_back(ex2.back().f);
    tb.idle_wait(tb.seen.size() + 1, 10000);
    tb.wr(REG_CORE_DEFAULT_ACTION, 8);
    ex2.push_back({filler(64), -1, DROP_BAD_QUEUE, 2, "default bad queue"});
    tb.tx.push_back(ex2.back().f);
    tb.idle_wait(tb.seen.size() + 1, 10000);
    tb.wr(REG_CORE_DEFAULT_ACTION, 0);
    check_outputs(tb, base, ex2);

    // counters
    uint64_t rx = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_RX_FRAMES));
    uint64_t flow = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_FLOW_HITS));
    uint64_t lis = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_LISTEN_HITS));
    uint64_t def = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_DEFAULT_HITS));
    uint64_t bytes = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_RX_BYTES));
    uint64_t sumq = 0, sumd = 0, sumqb = 0;
    for (int q = 0; q < QUEUES; q++) {
        sumq += tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_Q_FRAMES + q * REG_COUNTERS_Q_FRAMES_STRIDE));
        sumqb += tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_Q_BYTES + q * REG_COUNTERS_Q_BYTES_STRIDE));
    }
    for (int r = 0; r < 8; r++) sumd += tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_DROP + r * REG_COUNTERS_DROP_STRIDE));
    uint64_t want_rx = 0, want_bytes = 0, want_qb = 0, wf = 0, wl = 0, wd = 0;
    for (auto* v : {&ex, &ex2})
        for (auto& e : *v) {
            want_rx++;
            want_bytes += e.f.size();
            if (e.queue >= 0) want_qb += e.f.size();
            wf += e.hit == 0;
            wl += e.hit == 1;
            wd += e.hit == 2;
        }
    CHECK(rx == want_rx && rx == sumq + sumd, "RX_FRAMES %lu want %lu, sumQ %lu + sumDROP %lu", rx, want_rx, sumq, sumd);
    CHECK(bytes == want_bytes, "RX_BYTES %lu want %lu", bytes, want_bytes);
    CHECK(sumqb == want_qb, "sum Q_BYTES %lu want %lu", sumqb, want_qb);
    CHECK(flow == wf && lis == wl && def == wd, "hits flow %lu/%lu listen %lu/%lu default %lu/%lu", flow, wf, lis, wl, def, wd);
    CHECK(tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_DROP + (DROP_RUNT - 1) * REG_COUNTERS_DROP_STRIDE)) == 2, "DROP runt");
    // flow entry hits via lookup command
    uint32_t src[4] = {0, 0, 0, ip4(192, 0, 2, 7)};
    uint32_t st = flow_cmd(tb, 3, false, false, 0, src, 40001, 80, 0);
    CHECK(st == 0 && tb.rd(A(BLK_FLOW_BASE, REG_FLOW_RES_HITS)) == 2 && tb.rd(A(BLK_FLOW_BASE, REG_FLOW_RES_ACTION)) == 2,
          "flow lookup: status %u hits %u", st, tb.rd(A(BLK_FLOW_BASE, REG_FLOW_RES_HITS)));
    // clear
    tb.wr(REG_CORE_CONTROL, 1);
    CHECK(tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_RX_FRAMES)) == 0, "counters clear");
    // delete, then the flow frame takes the listen path
    st = flow_cmd(tb, 2, false, false, 0, src, 40001, 80, 0);
    CHECK(st == 0, "flow delete status %u", st);
    st = flow_cmd(tb, 2, false, false, 0, src, 40001, 80, 0);
    CHECK(st == 3, "flow delete again status %u", st);
    base = tb.rd(REG_CORE_FRAME_ID);
    std::vector<Expect> ex3 = {{ipv4({}, F, C, {false, 40001, 80, 0x02}), 1, 0, 1, "after delete"}};
    tb.tx.push_back(ex3[0].f);
    tb.idle_wait(tb.seen.size() + 1, 10000);
    check_outputs(tb, base, ex3);
}

// ---------------------------------------------------------------- shared ports (queue groups)
static void set_group(TB& tb, int g, const int32_t q[8]) {
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP), g);
    for (int i = 0; i < 8; i++) tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_QUEUE + i * REG_LISTEN_GROUP_QUEUE_STRIDE), (uint32_t)q[i]);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_COMMAND), 1);
}

// the listen hash as docs/semantics.md writes it: 16-bit XOR of the source address's
// big-endian 16-bit words, the source port and the destination port, then the XOR of its
// 3-bit groups from bit 0 up
static int listen_hash(const uint8_t src[16], uint16_t sport, uint16_t dport) {
    uint16_t h = sport ^ dport;
    for (int k = 0; k < 16; k += 2) h ^= (uint16_t)((src[k] << 8) | src[k + 1]);
    int slot = 0;
    for (int b = 0; b < 16; b += 3) slot ^= (h >> b) & 7;
    return slot;
}

static void v4_bytes(uint32_t a, uint8_t out[16]) {
    memset(out, 0, 16);
    for (int i = 0; i < 4; i++) out[12 + i] = (a >> (24 - 8 * i)) & 0xff;
}

static void test_groups(TB& tb) {
    uint32_t C = ip4(10, 0, 0, 1);
    uint8_t s16[16];
    // the worked examples of docs/semantics.md
    v4_bytes(ip4(192, 0, 2, 7), s16);
    CHECK(listen_hash(s16, 40001, 8080) == 7, "doc example 1: hash %d", listen_hash(s16, 40001, 8080));
    CHECK(listen_hash(V6_CLIENT, 5000, 53) == 7, "doc example 2: hash %d", listen_hash(V6_CLIENT, 5000, 53));

    CHECK(tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_GROUPS)) == 8, "GROUPS reg");
    const int32_t g2[8] = {1, 2, 3, 1, 2, 3, 1, 2};
    const int32_t g5[8] = {4, 9, 4, 9, 4, 9, 4, 9};    // 9: no such queue
    const int32_t g7[8] = {6, -1, 6, -1, 6, -1, 6, -1}; // -1: drop
    set_group(tb, 2, g2);
    set_group(tb, 5, g5);
    set_group(tb, 7, g7);
    set_listen(tb, 10, false, false, 0, 8080, 0x102);
    set_listen(tb, 11, false, true, 0, 5353, 0x105);
    set_listen(tb, 12, false, false, 0, 8081, 0x107);
    set_listen(tb, 13, false, false, 0, 8082, 0x108);  // group 8 does not exist: stored as queue 127
    set_listen(tb, 14, true, true, 1, 5300, 0x102);

    // read back
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP), 5);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_COMMAND), 2);
    bool same = true;
    for (int i = 0; i < 8; i++) same &= tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_QUEUE + 4 * i)) == (uint32_t)g5[i];
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP), 7);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_COMMAND), 2);
    for (int i = 0; i < 8; i++) same &= tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_QUEUE + 4 * i)) == (uint32_t)g7[i];
    CHECK(same, "group tables read back");
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP), 8);  // no such group: the command does nothing
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_COMMAND), 2);
    CHECK(tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_GROUP_QUEUE + 4)) == 0xffffffff, "read of group 8 ignored");
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_SLOT), 10);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_COMMAND), 2);
    CHECK(tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_ACTION)) == 0x102, "listen group action read back");
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_SLOT), 13);
    tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_COMMAND), 2);
    CHECK(tb.rd(A(BLK_LISTEN_BASE, REG_LISTEN_ACTION)) == 127, "group 8 stored as queue 127");

    tb.wr(REG_CORE_CONTROL, 1);
    uint32_t base = tb.rd(REG_CORE_FRAME_ID);
    std::vector<Expect> ex;
    int per_queue[QUEUES] = {0};
    for (int i = 0; i < 96; i++) {
        uint32_t X = ip4(192, 0, 2, 9 + i / 32);
        uint16_t sp = 1000 + i;
        v4_bytes(X, s16);
        int q = g2[listen_hash(s16, sp, 8080)];
        per_queue[q]++;
        ex.push_back({ipv4({}, X, C, {false, sp, 8080, 0x02}), q, 0, 1, "group 2 syn"});
        ex.push_back({ipv4({}, X, C, {false, sp, 8080, 0x12}), 0, 0, 2, "group 2 syn+ack: default"});
        int h = listen_hash(s16, sp, 5353);
        ex.push_back({ipv4({}, X, C, {true, sp, 5353, 0}), g5[h] < QUEUES ? g5[h] : -1, g5[h] < QUEUES ? 0 : (int)DROP_BAD_QUEUE, 1, "group 5 udp"});
        h = listen_hash(s16, sp, 8081);
        ex.push_back({ipv4({}, X, C, {false, sp, 8081, 0x02}), g7[h] >= 0 ? g7[h] : -1, g7[h] >= 0 ? 0 : (int)DROP_RULE, 1, "group 7 syn"});
        ex.push_back({ipv4({}, X, C, {false, sp, 8082, 0x02}), -1, DROP_BAD_QUEUE, 1, "group 8 syn"});
        uint8_t v6[16];
        memcpy(v6, V6_CLIENT, 16);
        v6[9] = i * 37;
        h = listen_hash(v6, sp, 5300);
        ex.push_back({ipv6({}, v6, V6_CLUSTER, {true, sp, 5300, 0}), g2[h], 0, 1, "group 2 udp6"});
    }
    CHECK(per_queue[1] >= 30 && per_queue[2] >= 30 && per_queue[3] >= 20, "group 2 spread %d/%d/%d", per_queue[1], per_queue[2], per_queue[3]);
    for (auto& e : ex) tb.tx.push_back(e.f);
    CHECK(tb.idle_wait(tb.seen.size() + ex.size(), 200000), "group frames did not all complete");
    check_outputs(tb, base, ex);
    uint64_t wl = 0;
    for (auto& e : ex) wl += e.hit == 1;
    uint64_t lis = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_LISTEN_HITS));
    CHECK(lis == wl, "group LISTEN_HITS %lu want %lu", lis, wl);

    // the action of an entry changes in one command: group 2 -> plain queue 5 -> group 7
    base = tb.rd(REG_CORE_FRAME_ID);
    std::vector<Expect> ex2;
    v4_bytes(ip4(192, 0, 2, 9), s16);
    set_listen(tb, 10, false, false, 0, 8080, 5);
    ex2.push_back({ipv4({}, ip4(192, 0, 2, 9), C, {false, 4000, 8080, 0x02}), 5, 0, 1, "entry 10 now queue 5"});
    for (auto& e : ex2) tb.tx.push_back(e.f);
    tb.idle_wait(tb.seen.size() + 1, 10000);
    set_listen(tb, 10, false, false, 0, 8080, 0x107);
    int h = listen_hash(s16, 4001, 8080);
    ex2.push_back({ipv4({}, ip4(192, 0, 2, 9), C, {false, 4001, 8080, 0x02}), g7[h] >= 0 ? g7[h] : -1, g7[h] >= 0 ? 0 : (int)DROP_RULE, 1, "entry 10 now group 7"});
    tb.tx.push_back(ex2.back().f);
    tb.idle_wait(tb.seen.size() + 1, 10000);
    check_outputs(tb, base, ex2);
    for (int e = 10; e <= 14; e++) {
        tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_SLOT), e);
        tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_FLAGS), 0);
        tb.wr(A(BLK_LISTEN_BASE, REG_LISTEN_COMMAND), 1);
    }
    printf("  width %d: group 2 of queues 1,2,3 over 96 SYNs: %d / %d / %d\n", DW, per_queue[1], per_queue[2], per_queue[3]);
}

// back-to-back frames of one length, tvalid always high; returns ingress cycles per frame
static double throughput(TB& tb, size_t len, int n, bool mixed_queues) {
    uint32_t X = ip4(192, 0, 2, 9), C = ip4(10, 0, 0, 1);
    uint32_t base = tb.rd(REG_CORE_FRAME_ID);
    std::vector<Expect> ex;
    for (int i = 0; i < n; i++) {
        Bytes f;
        if (mixed_queues && len >= 64 && (i % 3) == 1) {
            f = ipv4({}, X, C, {false, (uint16_t)(1000 + i), 80, 0x02}, 5, 0, 4, 0);
            while (f.size() < len) f.push_back(i);
            ex.push_back({f, 1, 0, 1, "b2b listen"});
        } else {
            f = filler(len);
            f[14] = i;
            ex.push_back({f, 0, 0, 2, "b2b default"});
        }
    }
    tb.out.clear();
    tb.ready_low = 0;
    tb.any_beat = false;
    for (auto& e : ex) tb.tx.push_back(e.f);
    uint64_t start = tb.cycle;
    bool ok = tb.idle_wait(tb.seen.size() + n, n * (len + 16) + 10000);
    CHECK(ok, "b2b len %zu did not complete", len);
    CHECK(tb.ready_low == 0, "b2b len %zu: s_axis_tready low for %lu clocks", len, tb.ready_low);
    check_outputs(tb, base, ex);
    double cpf = (double)(tb.last_beat - tb.first_beat + 1) / n;
    uint64_t done = 0;
    for (auto& o : tb.out) done = std::max(done, o.cycle);
    printf("  width %d: %d x %zu-byte frames: %.3f clocks/frame at ingress (ideal %d), all out after %lu clocks\n", DW, n, len,
           cpf, (int)((len + KW - 1) / KW), done - start);
    return cpf;
}

static void test_latency(TB& tb) {
    // one frame, idle pipeline: clocks from last ingress beat to its drop pulse (the
    // dispatcher takes the descriptor one clock before the pulse)
    tb.wr(REG_CORE_DEFAULT_ACTION, 0xffffffff);
    for (int k = 0; k < 2; k++) {
        tb.out.clear();
        tb.any_beat = false;
        // k = 0: not steerable (no flow lookup); k = 1: flow rule with action -1
        tb.tx.push_back(k == 0 ? filler(64) : ipv4({}, ip4(192, 0, 2, 66), ip4(10, 0, 0, 1), {true, 1, 2, 0}));
        tb.idle_wait(tb.seen.size() + 1, 1000);
        uint64_t drop_cycle = tb.out.empty() ? 0 : tb.out[0].cycle;
        printf("  width %d: last beat -> drop pulse (%s): %lu clocks\n", DW, k ? "flow lookup" : "no lookup",
               drop_cycle - tb.last_beat);
    }
    tb.wr(REG_CORE_DEFAULT_ACTION, 0);
}

// a jumbo frame followed by many minimum frames, tvalid always high: tready must stay high
static void test_jumbo_then_small(TB& tb, bool drop_small) {
    uint32_t base = tb.rd(REG_CORE_FRAME_ID);
    std::vector<Expect> ex;
    for (int j = 0; j < 3; j++) {
        ex.push_back({filler(9022), 0, 0, 2, "jumbo"});
        for (int i = 0; i < 1200; i++) {
            Bytes f = ipv4({}, ip4(192, 0, 2, 66), ip4(10, 0, 0, 1), {true, 1, 2, 0}, 5, 0, 4, 0);
            if (!drop_small) f = filler(14);
            f[11] = i;
            if (drop_small) ex.push_back({f, -1, DROP_RULE, 0, "small after jumbo (rule drop)"});
            else ex.push_back({f, 0, 0, 2, "small after jumbo"});
        }
    }
    tb.out.clear();
    tb.ready_low = 0;
    for (auto& e : ex) tb.tx.push_back(e.f);
    CHECK(tb.idle_wait(tb.seen.size() + ex.size(), 400000), "jumbo/small did not complete");
    CHECK(tb.ready_low == 0, "jumbo then %s small frames: tready low %lu clocks", drop_small ? "dropped" : "delivered", tb.ready_low);
    check_outputs(tb, base, ex);
}

static void test_stall(TB& tb) {
    uint32_t X = ip4(192, 0, 2, 9), C = ip4(10, 0, 0, 1);
    tb.wr(REG_CORE_CONTROL, 1);
    tb.qready = ~(1u << 1);  // queue 1 stalled
    uint32_t base = tb.rd(REG_CORE_FRAME_ID);
    const int n = 600;
    std::vector<Bytes> fr;
    std::vector<int> want_q;
    for (int i = 0; i < n; i++) {
        Bytes f;
        if (i % 2) {
            f = ipv4({}, X, C, {false, (uint16_t)(1000 + i), 80, 0x02}, 5, 0, 4, 0);
            while (f.size() < 200) f.push_back(i);
            want_q.push_back(1);
        } else {
            f = filler(100);
            f[14] = i;
            want_q.push_back(0);
        }
        fr.push_back(f);
    }
    tb.out.clear();
    tb.ready_low = 0;
    for (auto& f : fr) tb.tx.push_back(f);
    while (!tb.tx.empty()) tb.tick();
    tb.run(500);
    CHECK(tb.ready_low == 0, "stall: ingress tready low for %lu clocks", tb.ready_low);
    int q0 = 0, q1 = 0, full = 0;
    for (auto& o : tb.out) {
        if (o.queue == 0) q0++;
        if (o.queue == -1 && o.reason == DROP_QUEUE_FULL) full++;
    }
    CHECK(q0 == n / 2, "stall: queue 0 delivered %d of %d while queue 1 stalled", q0, n / 2);
    CHECK(full > 0, "stall: no queue_full drops");
    uint64_t qd = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_Q_DROPS + 1 * REG_COUNTERS_Q_DROPS_STRIDE));
    CHECK(qd == (uint64_t)full, "Q_DROPS[1] %lu want %d", qd, full);
    tb.qready = 0xffffffff;
    tb.run(20000);
    std::vector<uint32_t> ids1;
    for (auto& o : tb.out)
        if (o.queue == 1) ids1.push_back(o.id);
    q1 = ids1.size();
    CHECK(q1 + full == n / 2, "stall: queue 1 delivered %d + dropped %d != %d", q1, full, n / 2);
    bool ordered = true;
    for (size_t i = 1; i < ids1.size(); i++) ordered &= ids1[i] > ids1[i - 1];
    CHECK(ordered, "stall: queue 1 out of order");
    for (int i = 0; i < n; i++) CHECK(tb.seen[base + i] == 1, "stall: id %u left %d times", base + i, tb.seen[base + i]);
    uint64_t rx = tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_RX_FRAMES));
    uint64_t sum = 0;
    for (int q = 0; q < QUEUES; q++) sum += tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_Q_FRAMES + q * REG_COUNTERS_Q_FRAMES_STRIDE));
    for (int r = 0; r < 8; r++) sum += tb.rd64(A(BLK_COUNTERS_BASE, REG_COUNTERS_DROP + r * REG_COUNTERS_DROP_STRIDE));
    CHECK(rx == (uint64_t)n && rx == sum, "stall: RX_FRAMES %lu, sum %lu, want %d", rx, sum, n);
    printf("  width %d: stalled queue 1: %d delivered after release, %d tail-dropped; queue 0 got all %d\n", DW, q1, full, q0);
}

static void test_random_mix(TB& tb, bool random_ready) {
    // random lengths 1..300 back to back with random gaps; every frame leaves once with its bytes
    uint32_t base = tb.rd(REG_CORE_FRAME_ID);
    uint32_t X = ip4(192, 0, 2, 9), C = ip4(10, 0, 0, 1);
    std::vector<Expect> ex;
    uint32_t r = 12345;
    auto rnd = [&]() { r = r * 1103515245 + 12345; return (r >> 8) & 0xffff; };
    for (int i = 0; i < 1500; i++) {
        int len = 1 + rnd() % 300;
        Bytes f;
        if (rnd() % 2 && len >= 54) {
            f = ipv4({}, X, C, {false, (uint16_t)rnd(), 80, 0x02}, 5, 0, 4, 0);
            while ((int)f.size() < len) f.push_back(rnd());
            ex.push_back({f, 1, 0, 1, "mix listen"});
        } else {
            f = filler(len);
            for (size_t k = 14; k < f.size(); k++) f[k] = rnd();
            if (len < 14) ex.push_back({f, -1, DROP_RUNT, -1, "mix runt"});
            else ex.push_back({f, 0, 0, 2, "mix default"});
        }
    }
    tb.out.clear();
    tb.ready_low = 0;
    for (auto& e : ex) tb.tx.push_back(e.f);
    tb.random_ready = random_ready;
    CHECK(tb.idle_wait(tb.seen.size() + ex.size(), 400000), "mix did not complete");
    tb.random_ready = false;
    CHECK(random_ready || tb.ready_low == 0, "mix: tready low %lu clocks", tb.ready_low);
    check_outputs(tb, base, ex, random_ready);
    // order within each queue is arrival order
    std::vector<int64_t> last(QUEUES, -1);
    bool ordered = true;
    for (auto& o : tb.out)
        if (o.queue >= 0) {
            ordered &= (int64_t)o.id > last[o.queue];
            last[o.queue] = o.id;
        }
    CHECK(ordered, "mix: a queue is out of order");
    int full = 0;
    for (auto& o : tb.out) full += o.queue == -1 && o.reason == DROP_QUEUE_FULL;
    if (random_ready) printf("  width %d: random mix with random queue tready: %d queue_full drops\n", DW, full);
}

int main(int argc, char** argv) {
    Verilated::commandArgs(argc, argv);
    printf("core_tb: DATA_WIDTH %d\n", DW);
    {
        TB tb;
        test_registers(tb);
        program_rules(tb);
        test_parse(tb);
        test_groups(tb);
        test_latency(tb);
        throughput(tb, 64, 2000, false);
        throughput(tb, 64, 2000, true);
        throughput(tb, 14, 2000, false);
        throughput(tb, 15, 2000, false);
        throughput(tb, 1514, 100, true);
        test_jumbo_then_small(tb, false);
        test_jumbo_then_small(tb, true);
        test_random_mix(tb, false);
        test_random_mix(tb, true);
        test_stall(tb);
    }
    printf("core_tb: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
