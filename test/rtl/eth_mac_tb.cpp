// Verilator testbench for the gigabit MAC and the ECP5 RGMII interface, looped back at the
// RGMII pins (test/rtl/eth_mac_tb_top.v). Built and run by scripts/test-mac.sh.
//
// One back-to-back stream (s_axis_tvalid high from the first byte to the last, except two
// deliberate one-clock stalls) of short packets (padded to 60), 64..1518 byte frames, jumbo
// frames, a MAX_FRAME frame and one byte past it, and captured frames whose real FCS is
// known. Some frames get one byte damaged on the GMII path, some are spoiled with tuser,
// two stall mid-packet (underrun: the MAC ends the frame with tx_er). Checked:
//   - CRC reference (zlib) against the published check value, and the MAC's FCS against
//     FCSs captured from a real NIC (test/pcaps) and against zlib for every frame
//   - the wire: preamble/SFD, zero padding to 60, FCS, gap between frames == IFG, tx_er
//     only on underruns, TXC a copy of clk
//   - the receive side: every packet, in order, intact; damaged/spoiled ones flagged with
//     tuser; the oversize one cut at MAX_FRAME and flagged; tx_er frames (carried by the
//     RGMII ctl falling-edge bit) flagged; the stat pulses counted exactly
//   - the gap as seen by the receiver
// Usage: Veth_mac_tb_top [--seed N] [--frames N] [--pcap FILE] [--trace FILE.fst]

#include "Veth_mac_tb_top.h"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace {

constexpr int IFG = 12;               // sipnic_eth_mac_tx default
constexpr int MIN_DATA = 60;          // bytes before the FCS after padding
constexpr int MAX_FRAME = 9022 + 4;   // sipnic_eth_mac_rx default, FCS included
constexpr uint64_t HALF_QUARTER_PS = 2000;  // 8 ns clock, four phases

using Bytes = std::vector<uint8_t>;

uint32_t crc32_zlib(const Bytes& b, size_t n) {
    return static_cast<uint32_t>(crc32(0L, b.data(), static_cast<uInt>(n)));
}

enum class Kind { Good, BadFcs, BadFrame };

struct Packet {
    Bytes data;               // what goes into s_axis
    bool spoil = false;       // tuser on tlast
    int corrupt_at = -1;      // byte after the SFD to damage on the GMII path, -1 none
    uint8_t corrupt_mask = 0;
    int underrun_at = -1;     // s_axis_tvalid dropped for one clock before this byte, -1 none
    bool has_captured_fcs = false;
    uint32_t captured_fcs = 0;
    const char* what = "random";
};

struct Received {
    Bytes data;
    bool tuser;
};

struct Check {
    std::string name;
    uint64_t failures = 0;
    uint64_t observations = 0;
    std::string first;
};

class Checks {
  public:
    Check& get(const std::string& name) {
        for (auto& c : list_) {
            if (c.name == name) return c;
        }
        list_.push_back(Check{name});
        return list_.back();
    }
    // detail is a callable giving the failure text, called only on a failure
    template <class F>
    void expect(const std::string& name, bool ok, F detail) {
        Check& c = get(name);
        c.observations++;
        if (!ok) {
            if (c.failures == 0) c.first = detail();
            c.failures++;
        }
    }
    int report() const {
        int passed = 0, failed = 0;
        for (const auto& c : list_) {
            if (c.failures == 0 && c.observations > 0) {
                passed++;
                printf("PASS %-44s (%" PRIu64 " observations)\n", c.name.c_str(), c.observations);
            } else {
                failed++;
                printf("FAIL %-44s %" PRIu64 "/%" PRIu64 " failed; first: %s\n", c.name.c_str(),
                       c.failures, c.observations, c.observations ? c.first.c_str() : "never observed");
            }
        }
        printf("eth_mac_tb: %d passed, %d failed\n", passed, failed);
        return failed;
    }

  private:
    std::deque<Check> list_;
};

std::string fmt(const char* f, ...) __attribute__((format(printf, 1, 2)));
std::string fmt(const char* f, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, f);
    vsnprintf(buf, sizeof buf, f, ap);
    va_end(ap);
    return buf;
}

// Frames of a classic little-endian pcap (link type Ethernet) that end in a correct FCS
std::vector<Bytes> captured_frames_with_fcs(const std::string& path, std::string& err) {
    std::vector<Bytes> out;
    FILE* f = fopen(path.c_str(), "rb");
    if (!f) {
        err = fmt("cannot open %s: %s", path.c_str(), strerror(errno));
        return out;
    }
    Bytes file;
    uint8_t buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) file.insert(file.end(), buf, buf + n);
    fclose(f);
    auto u32 = [&](size_t o) {
        return uint32_t(file[o]) | uint32_t(file[o + 1]) << 8 | uint32_t(file[o + 2]) << 16 |
               uint32_t(file[o + 3]) << 24;
    };
    if (file.size() < 24 || u32(0) != 0xa1b2c3d4 || u32(20) != 1) {
        err = fmt("%s: not a little-endian Ethernet pcap", path.c_str());
        return out;
    }
    for (size_t o = 24; o + 16 <= file.size();) {
        uint32_t incl = u32(o + 8);
        if (o + 16 + incl > file.size()) break;
        Bytes frame(file.begin() + o + 16, file.begin() + o + 16 + incl);
        o += 16 + incl;
        if (frame.size() >= 64 && frame.size() <= 1518) {
            uint32_t fcs = uint32_t(frame[incl - 4]) | uint32_t(frame[incl - 3]) << 8 |
                           uint32_t(frame[incl - 2]) << 16 | uint32_t(frame[incl - 1]) << 24;
            if (crc32_zlib(frame, incl - 4) == fcs) out.push_back(frame);
        }
    }
    return out;
}

class Bench {
  public:
    Bench(int argc, char** argv) : ctx_(new VerilatedContext) {
        ctx_->commandArgs(argc, argv);
        top_.reset(new Veth_mac_tb_top{ctx_.get(), "tb"});
    }
    ~Bench() {
        closetrace();
        top_->final();
    }

    void opentrace(const char* path) {
#if VM_TRACE
        ctx_->traceEverOn(true);
        trace_.reset(new VerilatedFstC);
        top_->trace(trace_.get(), 99);
        trace_->open(path);
#else
        fprintf(stderr, "built without tracing (TRACE=1 scripts/test-mac.sh); ignoring %s\n", path);
#endif
    }
    void closetrace() {
#if VM_TRACE
        if (trace_) {
            trace_->close();
            trace_.reset();
        }
#endif
    }

    Checks checks;

    void run(std::vector<Packet> packets) {
        packets_ = std::move(packets);
        for (const auto& p : packets_) {
            Kind k = Kind::Good;
            size_t len = std::max<size_t>(p.data.size(), MIN_DATA);
            if (p.underrun_at >= 0) {
                // bytes before the stall, then one byte with tx_er, less the 4 taken as FCS
                k = Kind::BadFrame;
                len = size_t(p.underrun_at) + 1 - 4;
                // the frame is cut short, the rest of the packet is drained during the gap
                wire_bytes_ += size_t(p.underrun_at) + 1 - std::max<size_t>(p.data.size(), MIN_DATA) - 4;
                wire_bytes_ += p.data.size() - size_t(p.underrun_at);
                underruns_++;
            } else if (p.data.size() + 4 > size_t(MAX_FRAME)) {
                k = Kind::BadFrame;
                len = MAX_FRAME - 4;
            } else if (p.spoil || p.corrupt_at >= 0) {
                k = Kind::BadFcs;
            }
            expected_.push_back({len, k});
            // idle bytes expected after this frame when the next one is already waiting
            gap_after_.push_back(IFG + (p.underrun_at >= 0 ? p.data.size() - size_t(p.underrun_at) : 0));
            expect_count_[int(k)]++;
            wire_bytes_ += 8 + std::max<size_t>(p.data.size(), MIN_DATA) + 4 + IFG;
        }

        reset();
        uint64_t limit = wire_bytes_ + 1000;
        uint64_t cycle = 0;
        drive();
        while (received_.size() < packets_.size() && cycle < limit) {
            tick();
            cycle++;
        }
        for (int i = 0; i < 100; i++) tick();  // anything extra would show up here
        cycles_ = cycle;
        finish();
    }

  private:
    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Veth_mac_tb_top> top_;
#if VM_TRACE
    std::unique_ptr<VerilatedFstC> trace_;
#endif

    std::vector<Packet> packets_;
    struct Expect {
        size_t len;
        Kind kind;
    };
    std::vector<Expect> expected_;
    std::vector<int64_t> gap_after_;
    uint64_t expect_count_[3] = {0, 0, 0};
    uint64_t wire_bytes_ = 0;
    uint64_t cycles_ = 0;

    // s_axis source
    size_t src_pkt_ = 0, src_pos_ = 0;
    bool src_stalled_ = false;
    uint64_t underruns_ = 0;
    uint64_t tx_er_cycles_ = 0, rx_er_cycles_ = 0;

    // tx wire monitor (GMII out of the tx MAC)
    Bytes tx_frame_;
    bool tx_frame_er_last_ = false;
    bool tx_in_frame_ = false;
    size_t tx_frames_ = 0;
    int64_t tx_gap_ = -1;  // idle bytes since the last frame, -1 before the first
    int64_t tx_gap_min_ = INT64_MAX, tx_gap_max_ = 0;
    uint64_t tx_first_cycle_ = 0, tx_last_cycle_ = 0, tx_cycle_ = 0;

    // rx wire monitor (GMII out of the rx PHY interface)
    bool rx_in_frame_ = false;
    int64_t rx_gap_ = -1;
    int64_t rx_gap_min_ = INT64_MAX, rx_gap_max_ = 0;
    size_t rx_wire_frames_ = 0;

    // m_axis sink and stats
    Bytes rx_cur_;
    std::vector<Received> received_;
    uint64_t stat_[3] = {0, 0, 0};

    void eval_step() {
        top_->eval();
#if VM_TRACE
        if (trace_) trace_->dump(ctx_->time());
#endif
        ctx_->timeInc(HALF_QUARTER_PS);
    }

    void drive() {
        if (src_pkt_ < packets_.size()) {
            const Packet& p = packets_[src_pkt_];
            top_->s_axis_tvalid = 1;
            if (p.underrun_at >= 0 && src_pos_ == size_t(p.underrun_at) && !src_stalled_) {
                top_->s_axis_tvalid = 0;
                src_stalled_ = true;
            }
            top_->s_axis_tdata = p.data[src_pos_];
            top_->s_axis_tlast = src_pos_ + 1 == p.data.size();
            top_->s_axis_tuser = top_->s_axis_tlast && p.spoil;
        } else {
            top_->s_axis_tvalid = 0;
            top_->s_axis_tlast = 0;
            top_->s_axis_tuser = 0;
        }
    }

    void reset() {
        top_->rst = 1;
        top_->rx_rst = 1;
        top_->corrupt_mask = 0;
        top_->s_axis_tvalid = 0;
        for (int i = 0; i < 8; i++) tick_clocks_only();
        top_->rst = 0;
        top_->rx_rst = 0;
        for (int i = 0; i < 4; i++) tick_clocks_only();
    }

    void tick_clocks_only() {
        top_->clk = 1;
        eval_step();
        top_->clk90 = 1;
        eval_step();
        top_->clk = 0;
        eval_step();
        top_->clk90 = 0;
        eval_step();
    }

    // one 8 ns period: clk rises at 0, clk90 at 2 ns, clk falls at 4, clk90 at 6
    void tick() {
        bool fire = top_->s_axis_tvalid && top_->s_axis_tready;

        top_->clk = 1;
        eval_step();
        checks.expect("TXC follows clk", top_->mon_txc == 1, [&] { return std::string(fmt("txc low after clk rose, cycle %" PRIu64, tx_cycle_)); });
        if (fire) {
            if (++src_pos_ == packets_[src_pkt_].data.size()) {
                src_pkt_++;
                src_pos_ = 0;
                src_stalled_ = false;
            }
        }
        drive();
        tx_wire();

        top_->clk90 = 1;
        eval_step();
        rx_side();

        top_->clk = 0;
        eval_step();
        checks.expect("TXC follows clk", top_->mon_txc == 0, [&] { return std::string(fmt("txc high after clk fell, cycle %" PRIu64, tx_cycle_)); });

        top_->clk90 = 0;
        eval_step();
        tx_cycle_++;
    }

    // the byte the tx MAC puts out this cycle (sampled by the ODDRs at the next rising edge)
    void tx_wire() {
        top_->corrupt_mask = 0;
        tx_er_cycles_ += top_->mon_tx_er;
        if (top_->mon_tx_en) {
            if (!tx_in_frame_) {
                tx_in_frame_ = true;
                tx_frame_.clear();
                if (tx_gap_ >= 0) {
                    int64_t want = gap_after_[tx_frames_ - 1];
                    checks.expect("tx gap == IFG back to back", tx_gap_ == want,
                                  [&] { return std::string(fmt("gap %" PRId64 " before frame %zu, want %" PRId64, tx_gap_, tx_frames_, want)); });
                    if (want == IFG) {
                        tx_gap_min_ = std::min(tx_gap_min_, tx_gap_);
                        tx_gap_max_ = std::max(tx_gap_max_, tx_gap_);
                    }
                } else {
                    tx_first_cycle_ = tx_cycle_;
                }
            }
            if (tx_frames_ < packets_.size()) {
                const Packet& p = packets_[tx_frames_];
                if (p.corrupt_at >= 0 && tx_frame_.size() == size_t(8 + p.corrupt_at)) {
                    top_->corrupt_mask = p.corrupt_mask;
                }
            }
            tx_frame_.push_back(top_->mon_tx_txd);
            tx_frame_er_last_ = top_->mon_tx_er;
        } else if (tx_in_frame_) {
            tx_in_frame_ = false;
            tx_last_cycle_ = tx_cycle_;
            tx_gap_ = 1;
            check_tx_frame();
            tx_frames_++;
        } else if (tx_gap_ >= 0) {
            tx_gap_++;
        }
    }

    void check_tx_frame() {
        if (tx_frames_ >= packets_.size()) {
            checks.expect("tx wire: one frame per packet", false, [&] { return std::string(fmt("extra frame %zu", tx_frames_)); });
            return;
        }
        const Packet& p = packets_[tx_frames_];
        const Bytes& w = tx_frame_;
        size_t n = tx_frames_;
        bool pre = w.size() >= 8;
        for (size_t i = 0; pre && i < 7; i++) pre = w[i] == 0x55;
        pre = pre && w[7] == 0xD5;
        checks.expect("tx wire: preamble 7x55 + SFD D5", pre, [&] { return std::string(fmt("frame %zu", n)); });
        if (p.underrun_at >= 0) {
            bool ok = pre && w.size() == 8 + size_t(p.underrun_at) + 1 &&
                      std::equal(w.begin() + 8, w.end() - 1, p.data.begin()) && tx_frame_er_last_;
            checks.expect("tx wire: underrun ends the frame with tx_er", ok,
                          [&] { return std::string(fmt("frame %zu: %zu bytes on the wire", n, w.size())); });
            return;
        }
        size_t data_len = std::max<size_t>(p.data.size(), MIN_DATA);
        bool len_ok = w.size() == 8 + data_len + 4;
        checks.expect("tx wire: length (padded to 60) + FCS", len_ok,
                      [&] { return std::string(fmt("frame %zu: %zu bytes on the wire, want %zu", n, w.size(), 8 + data_len + 4)); });
        if (!pre || !len_ok) return;
        Bytes body(w.begin() + 8, w.end() - 4);
        bool data_ok = std::equal(p.data.begin(), p.data.end(), body.begin());
        checks.expect("tx wire: data as sent", data_ok, [&] { return std::string(fmt("frame %zu", n)); });
        if (p.data.size() < MIN_DATA) {
            bool pad_ok = std::all_of(body.begin() + p.data.size(), body.end(), [](uint8_t b) { return b == 0; });
            checks.expect("tx wire: zero padding to 60", pad_ok, [&] { return std::string(fmt("frame %zu (%zu bytes)", n, p.data.size())); });
        }
        uint32_t fcs = uint32_t(w[w.size() - 4]) | uint32_t(w[w.size() - 3]) << 8 |
                       uint32_t(w[w.size() - 2]) << 16 | uint32_t(w[w.size() - 1]) << 24;
        uint32_t want = crc32_zlib(body, body.size());
        if (p.spoil) {
            checks.expect("tx wire: tuser frame sends inverted FCS", fcs == ~want,
                          [&] { return std::string(fmt("frame %zu fcs %08x want %08x", n, fcs, ~want)); });
        } else {
            checks.expect("tx wire: FCS == zlib crc32", fcs == want, [&] { return std::string(fmt("frame %zu fcs %08x want %08x", n, fcs, want)); });
        }
        if (p.has_captured_fcs) {
            checks.expect("tx wire: FCS == FCS captured from a real NIC", fcs == p.captured_fcs,
                          [&] { return std::string(fmt("frame %zu fcs %08x captured %08x", n, fcs, p.captured_fcs)); });
        }
    }

    // everything in the rx clock domain, just after its rising edge
    void rx_side() {
        if (top_->mon_rx_dv) {
            if (!rx_in_frame_) {
                rx_in_frame_ = true;
                if (rx_gap_ >= 0) {
                    int64_t want = gap_after_[rx_wire_frames_ - 1];
                    checks.expect("rx gap == IFG back to back", rx_gap_ == want,
                                  [&] { return std::string(fmt("gap %" PRId64 " before frame %zu, want %" PRId64, rx_gap_, rx_wire_frames_, want)); });
                    if (want == IFG) {
                        rx_gap_min_ = std::min(rx_gap_min_, rx_gap_);
                        rx_gap_max_ = std::max(rx_gap_max_, rx_gap_);
                    }
                }
            }
        } else if (rx_in_frame_) {
            rx_in_frame_ = false;
            rx_wire_frames_++;
            rx_gap_ = 1;
        } else if (rx_gap_ >= 0) {
            rx_gap_++;
        }
        rx_er_cycles_ += top_->mon_rx_er;

        stat_[int(Kind::Good)] += top_->stat_good_frame;
        stat_[int(Kind::BadFcs)] += top_->stat_bad_fcs;
        stat_[int(Kind::BadFrame)] += top_->stat_bad_frame;

        if (top_->m_axis_tvalid) {
            rx_cur_.push_back(top_->m_axis_tdata);
            checks.expect("rx tuser only with tlast", top_->m_axis_tlast || !top_->m_axis_tuser, [&] { return std::string("tuser mid-packet"); });
            if (top_->m_axis_tlast) {
                received_.push_back({rx_cur_, bool(top_->m_axis_tuser)});
                check_rx_packet(received_.size() - 1);
                rx_cur_.clear();
            }
        }
    }

    void check_rx_packet(size_t n) {
        const Received& r = received_[n];
        if (n >= packets_.size()) {
            checks.expect("rx: nothing extra", false, [&] { return std::string(fmt("extra packet %zu of %zu bytes", n, r.data.size())); });
            return;
        }
        const Packet& p = packets_[n];
        const Expect& e = expected_[n];
        checks.expect("rx: packet length", r.data.size() == e.len,
                      [&] { return std::string(fmt("packet %zu (%s): %zu bytes, want %zu", n, p.what, r.data.size(), e.len)); });
        switch (e.kind) {
            case Kind::Good: {
                bool ok = r.data.size() == e.len && !r.tuser &&
                          std::equal(p.data.begin(), p.data.end(), r.data.begin()) &&
                          std::all_of(r.data.begin() + p.data.size(), r.data.end(), [](uint8_t b) { return b == 0; });
                checks.expect("rx: good frames intact, in order, tuser 0", ok,
                              [&] { return std::string(fmt("packet %zu (%s, %zu bytes) tuser %d", n, p.what, p.data.size(), r.tuser)); });
                if (p.data.size() < MIN_DATA) {
                    checks.expect("rx: short packets arrive padded to 60", ok, [&] { return std::string(fmt("packet %zu", n)); });
                }
                break;
            }
            case Kind::BadFcs:
                checks.expect("rx: damaged/spoiled frames flagged tuser 1", r.tuser,
                              [&] { return std::string(fmt("packet %zu (%s) corrupt_at %d spoil %d", n, p.what, p.corrupt_at, p.spoil)); });
                break;
            case Kind::BadFrame: {
                bool ok = r.tuser && r.data.size() == e.len && std::equal(r.data.begin(), r.data.end(), p.data.begin());
                if (p.underrun_at >= 0) {
                    checks.expect("rx: tx_er frame (via RGMII ctl) flagged tuser 1", ok,
                                  [&] { return std::string(fmt("packet %zu: %zu bytes tuser %d", n, r.data.size(), r.tuser)); });
                    break;
                }
                checks.expect("rx: oversize cut at MAX_FRAME, tuser 1", ok,
                              [&] { return std::string(fmt("packet %zu: %zu bytes tuser %d", n, r.data.size(), r.tuser)); });
                break;
            }
        }
    }

    void finish() {
        checks.expect("rx: every packet arrived", received_.size() == packets_.size(),
                      [&] { return std::string(fmt("%zu of %zu", received_.size(), packets_.size())); });
        checks.expect("tx wire: one frame per packet", tx_frames_ == packets_.size(),
                      [&] { return std::string(fmt("%zu frames for %zu packets", tx_frames_, packets_.size())); });
        checks.expect("tx_er/rx_er only on the underrun bytes", tx_er_cycles_ == underruns_ && rx_er_cycles_ == underruns_,
                      [&] { return std::string(fmt("tx_er %" PRIu64 " rx_er %" PRIu64 " cycles, want %" PRIu64,
                                                   tx_er_cycles_, rx_er_cycles_, underruns_)); });
        const char* names[3] = {"stat_good_frame", "stat_bad_fcs", "stat_bad_frame"};
        for (int k = 0; k < 3; k++) {
            checks.expect(fmt("%s count exact", names[k]), stat_[k] == expect_count_[k],
                          [&] { return std::string(fmt("%" PRIu64 " pulses, want %" PRIu64, stat_[k], expect_count_[k])); });
        }
        uint64_t span = tx_last_cycle_ - tx_first_cycle_;
        printf("packets %zu (good %" PRIu64 ", bad fcs %" PRIu64 ", bad frame: oversize or tx_er %" PRIu64 "), %" PRIu64 " cycles\n",
               packets_.size(), expect_count_[0], expect_count_[1], expect_count_[2], cycles_);
        printf("gap (idle bytes between back-to-back frames, underrun drains excluded): tx min %" PRId64 " max %" PRId64 ", rx min %" PRId64 " max %" PRId64
               " (IFG %d)\n",
               tx_gap_min_, tx_gap_max_, rx_gap_min_, rx_gap_max_, IFG);
        printf("first preamble to last FCS: %" PRIu64 " byte times, %" PRIu64 " at the minimum gap (%.2f%%)\n",
               span, wire_bytes_ - IFG, span ? 100.0 * double(wire_bytes_ - IFG) / double(span) : 0.0);
    }
};

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
    Bytes b(n);
    for (auto& x : b) x = uint8_t(rng());
    return b;
}

}  // namespace

int main(int argc, char** argv) {
    uint64_t seed = 1;
    int frames = 400;
    std::string pcap, trace;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "--seed" && i + 1 < argc) {
            seed = strtoull(argv[++i], nullptr, 0);
        } else if (a == "--frames" && i + 1 < argc) {
            frames = atoi(argv[++i]);
        } else if (a == "--pcap" && i + 1 < argc) {
            pcap = argv[++i];
        } else if (a == "--trace" && i + 1 < argc) {
            trace = argv[++i];
        }
    }
    printf("eth_mac_tb: seed %" PRIu64 ", %d random frames\n", seed, frames);

    Bench bench(argc, argv);
    if (!trace.empty()) bench.opentrace(trace.c_str());

    // the reference CRC against the published check value of CRC-32/IEEE
    {
        const char* s = "123456789";
        Bytes b(s, s + 9);
        bench.checks.expect("reference crc32(\"123456789\") == cbf43926", crc32_zlib(b, 9) == 0xCBF43926u,
                            [&] { return std::string(fmt("%08x", crc32_zlib(b, 9))); });
    }

    std::mt19937_64 rng(seed);
    std::vector<Packet> pk;
    auto add = [&](size_t len, const char* what) {
        Packet p;
        p.data = random_bytes(rng, len);
        p.what = what;
        pk.push_back(std::move(p));
        return &pk.back();
    };

    // captured frames with their real FCS (data without the FCS goes in)
    if (!pcap.empty()) {
        std::string err;
        auto cap = captured_frames_with_fcs(pcap, err);
        bench.checks.expect("captured frames with FCS loaded", err.empty() && !cap.empty(),
                            [&] { return std::string(err.empty() ? "no frame with a correct FCS in the capture" : err); });
        for (const auto& f : cap) {
            Packet p;
            p.data.assign(f.begin(), f.end() - 4);
            p.has_captured_fcs = true;
            p.captured_fcs = uint32_t(f[f.size() - 4]) | uint32_t(f[f.size() - 3]) << 8 |
                             uint32_t(f[f.size() - 2]) << 16 | uint32_t(f[f.size() - 1]) << 24;
            p.what = "captured";
            pk.push_back(std::move(p));
        }
        printf("captured frames with FCS: %zu from %s\n", cap.size(), pcap.c_str());
    }

    // short packets, padded to 60 by the MAC
    for (size_t len : {1, 2, 13, 14, 42, 58, 59, 60, 61}) add(len, "short");
    // the classic limits
    add(60, "min");
    add(1514, "max standard");

    std::uniform_int_distribution<size_t> std_len(60, 1514);
    std::uniform_int_distribution<int> pct(0, 99);
    for (int i = 0; i < frames; i++) {
        Packet* p = add(std_len(rng), "random");
        int r = pct(rng);
        if (r < 12) {
            // damage one byte anywhere after the SFD, FCS included
            std::uniform_int_distribution<int> at(0, int(p->data.size()) + 3);
            p->corrupt_at = at(rng);
            p->corrupt_mask = uint8_t(1 + rng() % 255);
            p->what = "damaged";
        } else if (r < 14) {
            p->spoil = true;
            p->what = "spoiled";
        }
        if (i % 100 == 50) {
            add(9000, "jumbo");
            add(9000, "jumbo");
        }
    }
    // damaged short frame (the pad is damaged)
    {
        Packet* p = add(20, "damaged short");
        p->corrupt_at = 40;
        p->corrupt_mask = 0x80;
    }
    // damaged jumbo
    {
        Packet* p = add(9000, "damaged jumbo");
        p->corrupt_at = 8999;
        p->corrupt_mask = 0x01;
    }
    // s_axis stalls mid-packet: the MAC ends the frame with tx_er, the receiver drops it
    add(1000, "underrun")->underrun_at = 500;
    add(64, "after underrun");
    add(64, "underrun short")->underrun_at = 10;
    add(MAX_FRAME - 4, "MAX_FRAME");
    add(MAX_FRAME - 3, "MAX_FRAME + 1");
    add(64, "after oversize");
    add(1000, "after oversize");

    bench.run(std::move(pk));
    int failed = bench.checks.report();
    bench.closetrace();
    return failed ? 1 : 0;
}
