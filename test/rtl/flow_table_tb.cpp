// Standalone Verilator testbench for rtl/core/sipnic_flow_table.v (default parameters).
// Built and run by scripts/test-flow-table.sh. Checks every command result and every
// datapath lookup (hit, action, tag, latency) against a C++ shadow table, including the
// per-entry hit counters, through fill, churn, cuckoo moves and the stash.

#include "Vsipnic_flow_table.h"
#include "Vsipnic_flow_table___024root.h"
#include "verilated.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int ENTRIES = 4096;
constexpr int STASH = 8;
constexpr int KEY_WIDTH = 166;
constexpr int KEY_WORDS = (KEY_WIDTH + 31) / 32;
constexpr uint32_t TOP_MASK = (1u << (KEY_WIDTH - 32 * (KEY_WORDS - 1))) - 1;

enum Op { OP_INSERT = 1, OP_DELETE = 2, OP_LOOKUP = 3, OP_READ = 4, OP_CLEAR = 5 };
enum Status { ST_OK = 0, ST_EXISTS = 1, ST_FULL = 2, ST_NOT_FOUND = 3 };
const char* status_name(int s) {
    static const char* names[] = {"ok", "exists", "full", "not_found"};
    return names[s & 3];
}

struct Key {
    std::array<uint32_t, KEY_WORDS> w{};
    bool operator<(const Key& o) const { return w < o.w; }
    bool operator==(const Key& o) const { return w == o.w; }
    std::string str() const {
        std::string s;
        char buf[16];
        for (int i = KEY_WORDS - 1; i >= 0; i--) {
            snprintf(buf, sizeof buf, "%08x", w[i]);
            s += buf;
        }
        return s;
    }
};

struct Entry {
    uint8_t action;
    uint64_t hits;
};

struct CmdResult {
    int status;
    bool valid;
    Key key;
    uint8_t action;
    uint32_t slot;
    uint32_t hits;
    uint32_t moves;
    uint64_t cycles;
};

// what the background lookup generator wants this clock
struct LookupReq {
    bool valid = false;
    Key key;
};

class Harness {
  public:
    explicit Harness(int argc, char** argv) : ctx_(new VerilatedContext) {
        ctx_->commandArgs(argc, argv);
        top_.reset(new Vsipnic_flow_table{ctx_.get(), "tb"});
    }
    ~Harness() { top_->final(); }

    Vsipnic_flow_table* top() { return top_.get(); }
    uint64_t cycle() const { return cycle_; }
    int failures() const { return failures_; }
    std::mt19937_64 rng{12345};

    // shadow of the table
    std::map<Key, Entry> shadow;
    std::vector<Key> live;                 // the shadow's keys, for random picks
    std::map<Key, size_t> live_pos;
    std::vector<Key> dead;                 // keys deleted (or never inserted) and not live now

    // background lookup generator, called once per clock while commands run
    std::function<LookupReq(Harness&)> background;
    bool has_exclude = false;              // the key of the running command: not looked up
    Key exclude;

    uint64_t lookups_checked = 0;
    uint64_t lookup_hits_seen = 0;
    int latency_seen = -1;

    void fail(const char* what, const std::string& detail = "") {
        failures_++;
        if (failures_ <= 20) {
            fprintf(stderr, "FAIL @%" PRIu64 ": %s %s\n", cycle_, what, detail.c_str());
        }
    }
    bool check(bool cond, const char* what, const std::string& detail = "") {
        if (!cond) fail(what, detail);
        return cond;
    }

    Key random_key() {
        Key k;
        for (int i = 0; i < KEY_WORDS; i++) k.w[i] = static_cast<uint32_t>(rng());
        k.w[KEY_WORDS - 1] &= TOP_MASK;
        return k;
    }
    Key fresh_key() {
        for (;;) {
            Key k = random_key();
            if (!shadow.count(k)) return k;
        }
    }
    const Key& random_live() { return live[rng() % live.size()]; }

    void shadow_add(const Key& k, uint8_t action) {
        shadow[k] = Entry{action, 0};
        live_pos[k] = live.size();
        live.push_back(k);
    }
    void shadow_del(const Key& k) {
        shadow.erase(k);
        size_t p = live_pos[k];
        live_pos.erase(k);
        if (p != live.size() - 1) {
            live[p] = live.back();
            live_pos[live[p]] = p;
        }
        live.pop_back();
        dead.push_back(k);
        if (dead.size() > 20000) dead.erase(dead.begin(), dead.begin() + 10000);
    }

    // one clock; `lk` is the lookup driven during this clock
    void tick(const LookupReq& lk) {
        auto* t = top_.get();
        t->lookup_valid = lk.valid;
        if (lk.valid) {
            for (int i = 0; i < KEY_WORDS; i++) t->lookup_key[i] = lk.key.w[i];
            t->lookup_tag = tag_;
            Pending p;
            p.key = lk.key;
            p.tag = tag_;
            p.cycle = cycle_;
            auto it = shadow.find(lk.key);
            p.hit = it != shadow.end();
            p.action = p.hit ? it->second.action : 0;
            if (p.hit) it->second.hits++;
            pending_.push_back(p);
            tag_++;
        }
        t->clk = 0;
        t->eval();
        ctx_->timeInc(1);
        t->clk = 1;
        t->eval();
        ctx_->timeInc(1);
        cycle_++;
        if (t->result_valid) {
            if (pending_.empty()) {
                fail("result_valid without a lookup");
            } else {
                Pending p = pending_.front();
                pending_.pop_front();
                int lat = static_cast<int>(cycle_ - p.cycle);
                if (latency_seen < 0) latency_seen = lat;
                lookups_checked++;
                if (p.hit) lookup_hits_seen++;
                check(lat == t->lookup_latency, "lookup latency",
                      std::to_string(lat) + " != " + std::to_string(t->lookup_latency));
                check(t->result_tag == p.tag, "lookup tag");
                if (!check(t->result_hit == p.hit, "lookup hit",
                           p.key.str() + (p.hit ? " expected hit" : " expected miss"))) {
                } else if (p.hit) {
                    check(t->result_action == p.action, "lookup action", p.key.str());
                }
            }
        }
        if (!pending_.empty() && cycle_ - pending_.front().cycle > 16) {
            fail("lookup result missing");
            pending_.pop_front();
        }
    }
    void tick() {
        LookupReq lk;
        if (background) {
            lk = background(*this);
            if (lk.valid && has_exclude && lk.key == exclude) lk.valid = false;
        }
        tick(lk);
    }
    void idle(int n) {
        for (int i = 0; i < n; i++) tick(LookupReq{});
    }
    void drain() { idle(8); }

    void reset() {
        auto* t = top_.get();
        t->rst = 1;
        t->cmd_valid = 0;
        t->lookup_valid = 0;
        idle(4);
        t->rst = 0;
        wait_ready(10000);
    }
    bool wait_ready(int limit) {
        for (int i = 0; i < limit; i++) {
            if (top_->cmd_ready) return true;
            tick();
        }
        fail("cmd_ready timeout");
        return false;
    }

    CmdResult command(int op, const Key& key, uint8_t action = 0, uint32_t slot = 0,
                      uint64_t limit = 100000) {
        auto* t = top_.get();
        CmdResult r{};
        uint64_t start = cycle_;
        has_exclude = op != OP_READ && op != OP_CLEAR;
        exclude = key;
        wait_ready(static_cast<int>(limit));
        t->cmd_valid = 1;
        t->cmd_op = op;
        for (int i = 0; i < KEY_WORDS; i++) t->cmd_key[i] = key.w[i];
        t->cmd_action = action;
        t->cmd_slot = slot;
        tick();  // cmd_ready was high: accepted at this edge
        t->cmd_valid = 0;
        uint64_t n = 0;
        while (!t->cmd_done) {
            tick();
            if (++n > limit) {
                fail("cmd_done timeout", std::to_string(op));
                break;
            }
        }
        r.status = t->cmd_status;
        r.valid = t->cmd_res_valid;
        for (int i = 0; i < KEY_WORDS; i++) r.key.w[i] = t->cmd_res_key[i];
        r.action = t->cmd_res_action;
        r.slot = t->cmd_res_slot;
        r.hits = t->cmd_res_hits;
        r.moves = t->cmd_res_moves;
        r.cycles = cycle_ - start;
        has_exclude = false;
        return r;
    }

    // internal state, for the move test
    bool move_write_pending() {
        auto* r = top_->rootp;
        return r->sipnic_flow_table__DOT__op_req_reg && r->sipnic_flow_table__DOT__op_wr_reg &&
               r->sipnic_flow_table__DOT__op_cnt_en_reg &&
               r->sipnic_flow_table__DOT__op_cnt_src_reg == 1;
    }
    Key op_key() {
        Key k;
        for (int i = 0; i < KEY_WORDS; i++) k.w[i] = top_->rootp->sipnic_flow_table__DOT__op_key_reg[i];
        return k;
    }

  private:
    struct Pending {
        Key key;
        uint8_t tag;
        uint64_t cycle;
        bool hit;
        uint8_t action;
    };
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Vsipnic_flow_table> top_;
    uint64_t cycle_ = 0;
    uint8_t tag_ = 0;
    int failures_ = 0;
    std::deque<Pending> pending_;
};

int passed = 0, failed = 0;

void report(Harness& h, const char* name, int fails_before) {
    bool ok = h.failures() == fails_before;
    printf("%s %s\n", ok ? "PASS" : "FAIL", name);
    fflush(stdout);
    (ok ? passed : failed)++;
}

// ---- background lookup generators
// random live / absent keys, density p (per mille)
std::function<LookupReq(Harness&)> random_lookups(int per_mille) {
    return [per_mille](Harness& h) {
        LookupReq r;
        if (static_cast<int>(h.rng() % 1000) >= per_mille) return r;
        r.valid = true;
        if (!h.live.empty() && h.rng() % 4 != 0) {
            r.key = h.random_live();
        } else if (!h.dead.empty() && h.rng() % 2) {
            r.key = h.dead[h.rng() % h.dead.size()];
        } else {
            r.key = h.random_key();
        }
        return r;
    };
}

// bursts: a lookup every clock for 48 clocks of every 256, density per_mille otherwise
std::function<LookupReq(Harness&)> burst_lookups(int per_mille) {
    auto base = random_lookups(per_mille);
    auto every = random_lookups(1000);
    return [base, every](Harness& h) { return (h.cycle() % 256) < 48 ? every(h) : base(h); };
}

// ---- checks of the whole table against the shadow

// datapath lookup of every live key back to back (every clock), and of absent keys
void verify_datapath(Harness& h) {
    for (const Key& k : h.live) h.tick(LookupReq{true, k});
    size_t n = std::min<size_t>(h.dead.size(), 4000);
    for (size_t i = 0; i < n; i++) {
        const Key& k = h.dead[h.dead.size() - 1 - i];
        if (!h.shadow.count(k)) h.tick(LookupReq{true, k});
    }
    for (int i = 0; i < 500; i++) h.tick(LookupReq{true, h.random_key()});
    h.drain();
}

// command lookup of every live key (action, hits), count, and a full slot dump
void verify_commands(Harness& h) {
    auto saved = h.background;
    h.background = nullptr;
    for (const Key& k : h.live) {
        const Entry& e = h.shadow[k];
        CmdResult r = h.command(OP_LOOKUP, k);
        if (!h.check(r.status == ST_OK && r.valid, "cmd lookup status", k.str())) continue;
        h.check(r.key == k, "cmd lookup key");
        h.check(r.action == e.action, "cmd lookup action", k.str());
        h.check(r.hits == static_cast<uint32_t>(e.hits), "cmd lookup hits",
                k.str() + " " + std::to_string(r.hits) + " != " + std::to_string(e.hits));
        h.check(r.slot < static_cast<uint32_t>(ENTRIES + STASH), "cmd lookup slot");
    }
    size_t n = std::min<size_t>(h.dead.size(), 1000);
    for (size_t i = 0; i < n; i++) {
        const Key& k = h.dead[h.dead.size() - 1 - i];
        if (h.shadow.count(k)) continue;
        CmdResult r = h.command(OP_LOOKUP, k);
        h.check(r.status == ST_NOT_FOUND && !r.valid, "deleted key found", k.str());
    }
    h.check(h.top()->count == h.shadow.size(), "count",
            std::to_string(h.top()->count) + " != " + std::to_string(h.shadow.size()));
    // slot dump: every live key exactly once, nothing else
    std::map<Key, int> seen;
    int stash_valid = 0;
    for (int s = 0; s < ENTRIES + STASH; s++) {
        CmdResult r = h.command(OP_READ, Key{}, 0, s);
        h.check(r.status == ST_OK && r.slot == static_cast<uint32_t>(s), "read slot status");
        if (!r.valid) continue;
        if (s >= ENTRIES) stash_valid++;
        auto it = h.shadow.find(r.key);
        if (!h.check(it != h.shadow.end(), "read slot: unknown key", r.key.str())) continue;
        h.check(++seen[r.key] == 1, "read slot: key twice", r.key.str());
        h.check(r.action == it->second.action, "read slot action");
        h.check(r.hits == static_cast<uint32_t>(it->second.hits), "read slot hits");
    }
    h.check(seen.size() == h.shadow.size(), "read slot: keys missing");
    h.check(stash_valid == h.top()->stash_used, "stash_used");
    CmdResult r = h.command(OP_READ, Key{}, 0, ENTRIES + STASH);
    h.check(r.status == ST_NOT_FOUND, "read slot out of range");
    h.background = saved;
}

void verify_all(Harness& h) {
    verify_datapath(h);
    verify_commands(h);
}

// insert with shadow bookkeeping; returns the status
int do_insert(Harness& h, const Key& k, uint8_t action, uint64_t* moves = nullptr) {
    CmdResult r = h.command(OP_INSERT, k, action);
    auto it = h.shadow.find(k);
    if (it != h.shadow.end()) {
        h.check(r.status == ST_EXISTS, "insert existing: status", status_name(r.status));
        h.check(r.valid && r.key == k && r.action == it->second.action, "insert existing: entry");
        h.check(r.hits == static_cast<uint32_t>(it->second.hits), "insert existing: hits");
    } else if (r.status == ST_OK) {
        h.check(r.valid && r.key == k && r.action == action && r.hits == 0, "insert: entry");
        h.check(r.slot < static_cast<uint32_t>(ENTRIES + STASH), "insert: slot");
        h.shadow_add(k, action);
        if (moves) *moves += r.moves;
    } else {
        h.check(r.status == ST_FULL && !r.valid, "insert: status", status_name(r.status));
    }
    h.check(h.top()->count == h.shadow.size(), "count after insert");
    return r.status;
}

int do_delete(Harness& h, const Key& k) {
    CmdResult r = h.command(OP_DELETE, k);
    auto it = h.shadow.find(k);
    if (it != h.shadow.end()) {
        if (h.check(r.status == ST_OK && r.valid, "delete: status", status_name(r.status))) {
            h.check(r.key == k && r.action == it->second.action, "delete: entry");
            h.check(r.hits == static_cast<uint32_t>(it->second.hits), "delete: hits",
                    std::to_string(r.hits) + " != " + std::to_string(it->second.hits));
            h.shadow_del(k);
        }
    } else {
        h.check(r.status == ST_NOT_FOUND && !r.valid, "delete absent: status");
    }
    h.check(h.top()->count == h.shadow.size(), "count after delete");
    return r.status;
}

void clear_table(Harness& h) {
    CmdResult r = h.command(OP_CLEAR, Key{});
    h.check(r.status == ST_OK, "clear status");
    h.check(h.top()->count == 0 && h.top()->stash_used == 0, "count after clear");
    for (const Key& k : std::vector<Key>(h.live)) h.shadow_del(k);
}

// ---- tests

void test_basic(Harness& h) {
    int f0 = h.failures();
    h.check(h.top()->count == 0, "count after reset");
    h.check(h.top()->lookup_latency >= 1 && h.top()->lookup_latency <= 8, "lookup_latency");
    Key a = h.fresh_key(), b = h.fresh_key();
    h.check(do_insert(h, a, 0x12) == ST_OK, "insert a");
    h.check(do_insert(h, a, 0x34) == ST_EXISTS, "insert a again");
    CmdResult r = h.command(OP_LOOKUP, a);
    h.check(r.status == ST_OK && r.action == 0x12 && r.key == a, "cmd lookup a");
    CmdResult rs = h.command(OP_READ, Key{}, 0, r.slot);
    h.check(rs.status == ST_OK && rs.valid && rs.key == a && rs.action == 0x12, "read slot a");
    r = h.command(OP_LOOKUP, b);
    h.check(r.status == ST_NOT_FOUND && !r.valid, "cmd lookup b");
    // back-to-back hits every clock on one entry, and alternating with a miss
    for (int i = 0; i < 100; i++) h.tick(LookupReq{true, a});
    for (int i = 0; i < 50; i++) h.tick(LookupReq{true, (i & 1) ? a : b});
    h.drain();
    r = h.command(OP_LOOKUP, a);
    h.check(r.hits == 125, "hit counter back to back", std::to_string(r.hits));
    h.check(do_delete(h, a) == ST_OK, "delete a");
    h.check(do_delete(h, a) == ST_NOT_FOUND, "delete a again");
    h.tick(LookupReq{true, a});
    h.drain();
    // a re-inserted key starts from zero hits
    h.check(do_insert(h, a, 0x56) == ST_OK, "reinsert a");
    r = h.command(OP_LOOKUP, a);
    h.check(r.hits == 0 && r.action == 0x56, "reinsert a: hits cleared");
    r = h.command(7, a);
    h.check(r.status == ST_NOT_FOUND, "unknown op");
    clear_table(h);
    r = h.command(OP_LOOKUP, a);
    h.check(r.status == ST_NOT_FOUND, "clear removes a");
    report(h, "basic: insert/exists/lookup/read/delete/clear, back-to-back hit counting", f0);
}

void test_fill(Harness& h, int target) {
    int f0 = h.failures();
    h.background = random_lookups(500);
    uint64_t moves = 0;
    int full = 0;
    while (static_cast<int>(h.shadow.size()) < target) {
        if (do_insert(h, h.fresh_key(), static_cast<uint8_t>(h.rng()), &moves) != ST_OK) full++;
    }
    h.background = nullptr;
    h.check(full == 0, "full while filling to 90%");
    verify_all(h);
    printf("  filled %d entries (%.1f%%), %" PRIu64 " moves, stash %d, %" PRIu64 " datapath lookups checked\n",
           target, 100.0 * target / ENTRIES, moves, h.top()->stash_used, h.lookups_checked);
    report(h, "fill to 90% with lookups; every key found by command and datapath lookup", f0);
}

void test_churn(Harness& h, int ops, int target, int* fulls) {
    int f0 = h.failures();
    h.background = random_lookups(500);
    uint64_t moves = 0, cycles0 = h.cycle();
    int ins = 0, del = 0;
    for (int i = 0; i < ops; i++) {
        // bursts of lookups every clock now and then
        if (i % 1000 == 0) h.background = i % 3000 == 0 ? burst_lookups(400) : random_lookups(500);
        bool grow = static_cast<int>(h.shadow.size()) < target;
        int pick = static_cast<int>(h.rng() % 100);
        if (pick < 4 && !h.live.empty()) {
            do_insert(h, h.random_live(), 0);  // exists
        } else if (pick < 8 && !h.dead.empty()) {
            Key k = h.dead[h.rng() % h.dead.size()];
            if (!h.shadow.count(k)) do_delete(h, k);  // not found
        } else if (grow ? pick < 70 : pick < 38) {
            if (do_insert(h, h.fresh_key(), static_cast<uint8_t>(h.rng()), &moves) == ST_FULL) {
                (*fulls)++;
                h.check(h.shadow.size() >= 0.90 * ENTRIES, "full below 90% load",
                        std::to_string(h.shadow.size()));
            }
            ins++;
        } else if (!h.live.empty()) {
            do_delete(h, h.random_live());
            del++;
        }
    }
    h.background = nullptr;
    printf("  %d ops (%d inserts, %d deletes), %" PRIu64 " moves, %d full, %.1f cycles/op, load %.1f%%, stash %d\n",
           ops, ins, del, moves, *fulls, double(h.cycle() - cycles0) / ops,
           100.0 * h.shadow.size() / ENTRIES, h.top()->stash_used);
    verify_all(h);
    report(h, ("random insert/delete with shadow map, " + std::to_string(ops) + " ops").c_str(), f0);
}

double test_load_factor(Harness& h, double* walk_fail_load) {
    int f0 = h.failures();
    clear_table(h);
    *walk_fail_load = -1;
    double lf = 0;
    uint64_t moves = 0, cycles0 = h.cycle();
    for (;;) {
        Key k = h.fresh_key();
        int st = do_insert(h, k, static_cast<uint8_t>(h.rng()), &moves);
        if (st == ST_FULL) {
            lf = double(h.top()->count) / ENTRIES;
            break;
        }
        if (*walk_fail_load < 0 && h.top()->stash_used > 0)
            *walk_fail_load = double(h.top()->count - 1) / ENTRIES;
        if (h.shadow.size() > ENTRIES + STASH) {
            h.fail("never full");
            break;
        }
    }
    h.check(h.top()->stash_used == STASH, "stash full at the first full");
    printf("  load factor at first failed insert: %.4f (%d of %d, stash %d); first stash use at %.4f;"
           " %" PRIu64 " moves, %.1f cycles/insert\n",
           lf, h.top()->count, ENTRIES, h.top()->stash_used, *walk_fail_load, moves,
           double(h.cycle() - cycles0) / h.shadow.size());
    h.check(lf >= 0.90, "load factor >= 0.90");
    verify_all(h);
    report(h, "load factor at first failed insert (random keys, fresh table)", f0);
    return lf;
}

// near-full churn: exercises stash delete and the move of stash entries into freed buckets
void test_stash_churn(Harness& h, int ops) {
    int f0 = h.failures();
    h.background = random_lookups(500);
    int fulls = 0, drained = 0;
    for (int i = 0; i < ops; i++) {
        int su = h.top()->stash_used;
        if (h.rng() % 2) {
            if (do_insert(h, h.fresh_key(), static_cast<uint8_t>(h.rng())) == ST_FULL) fulls++;
        } else {
            do_delete(h, h.random_live());
            if (h.top()->stash_used < su) drained++;
        }
    }
    h.background = nullptr;
    printf("  %d ops near full: %d full, %d stash entries freed by delete or moved out\n", ops,
           fulls, drained);
    h.check(drained > 0, "stash never drained");
    verify_all(h);
    report(h, "near-full churn through the stash", f0);
}

// lookups (3 clocks of 4; the 4th is left for the command FSM) of the keys being moved
void test_moves(Harness& h) {
    int f0 = h.failures();
    clear_table(h);
    while (h.shadow.size() < 0.93 * ENTRIES) do_insert(h, h.fresh_key(), static_cast<uint8_t>(h.rng()));
    std::deque<Key> recent;  // keys of the last moves
    uint64_t move_lookups = 0, moves = 0, moved_seen = 0;
    int phase = 0;
    h.background = [&](Harness& hh) {
        LookupReq r;
        if (hh.move_write_pending()) {
            Key k = hh.op_key();
            if (recent.empty() || !(recent.back() == k)) {
                recent.push_back(k);
                moved_seen++;
                if (recent.size() > 3) recent.pop_front();
            }
        }
        if (++phase % 4 == 0) return r;
        r.valid = true;
        if (!recent.empty()) {
            r.key = recent[phase % recent.size()];
            move_lookups++;
        } else {
            r.key = hh.random_live();
        }
        return r;
    };
    int inserted = 0;
    while (h.shadow.size() < 0.965 * ENTRIES) {
        recent.clear();
        int st = do_insert(h, h.fresh_key(), static_cast<uint8_t>(h.rng()), &moves);
        if (st == ST_FULL) break;
        inserted++;
    }
    h.background = nullptr;
    h.drain();
    printf("  %d inserts at 93..96.5%% load: %" PRIu64 " moves, %" PRIu64 " moved keys seen, %" PRIu64
           " lookups of moving keys\n",
           inserted, moves, moved_seen, move_lookups);
    h.check(moves > 100 && moved_seen > 100, "too few moves to test");
    verify_all(h);  // hit counters carried along exactly
    report(h, "lookups of keys being moved never miss; counters move with the entries", f0);
}

// a lookup every clock: the command waits, lookups keep their rate and results
void test_saturated(Harness& h) {
    int f0 = h.failures();
    auto* t = h.top();
    Key k = h.fresh_key();
    h.wait_ready(100000);
    t->cmd_valid = 1;
    t->cmd_op = OP_INSERT;
    for (int i = 0; i < KEY_WORDS; i++) t->cmd_key[i] = k.w[i];
    t->cmd_action = 9;
    h.tick(LookupReq{true, h.random_live()});
    t->cmd_valid = 0;
    bool done = false;
    for (int i = 0; i < 3000; i++) {
        h.tick(LookupReq{true, h.random_live()});
        done |= t->cmd_done;
    }
    h.check(!done, "command finished with a lookup every clock");
    int n = 0;
    while (!t->cmd_done && n < 100000) {
        h.tick(LookupReq{});
        n++;
    }
    h.check(t->cmd_done, "command never finished");
    if (t->cmd_status == ST_OK) h.shadow_add(k, 9);
    h.drain();
    verify_datapath(h);
    report(h, "lookups every clock: commands wait, lookups unaffected", f0);
}

}  // namespace

int main(int argc, char** argv) {
    auto t0 = std::chrono::steady_clock::now();
    Harness h(argc, argv);
    if (const char* seed = getenv("FLOW_TB_SEED")) h.rng.seed(strtoull(seed, nullptr, 0));
    int churn_ops = 100000;
    if (const char* ops = getenv("FLOW_TB_OPS")) churn_ops = atoi(ops);

    h.reset();
    printf("lookup_latency port: %d clocks\n", h.top()->lookup_latency);
    test_basic(h);
    test_fill(h, static_cast<int>(0.90 * ENTRIES));
    printf("measured lookup latency: %d clocks\n", h.latency_seen);
    int fulls = 0;
    test_churn(h, churn_ops, static_cast<int>(0.90 * ENTRIES), &fulls);
    test_saturated(h);
    double walk_fail = 0;
    double lf = test_load_factor(h, &walk_fail);
    test_stash_churn(h, 5000);
    test_moves(h);

    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("summary: load factor %.4f at first failed insert (first stash use %.4f), lookup latency %d, "
           "%" PRIu64 " lookups checked, %" PRIu64 " cycles, %.1f s\n",
           lf, walk_fail, h.latency_seen, h.lookups_checked, h.cycle(), secs);
    if (h.failures()) printf("%d check failures\n", h.failures());
    printf("flow_table_tb: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
