// Verilator testbench for sipnic_uart_bridge (test/rtl/uart_tb_top.v: bridge + sipnic_core).
// A bit-level UART model beside the design drives uart_rxd and decodes uart_txd at CPB clocks
// per bit; a lossy channel between it and the host code corrupts/drops bytes on purpose.
// Built and run by scripts/test-uart.sh. Arguments: "short" runs the 115200-baud subset;
// "rate=P" sets the stress test's per-byte error rate (default 0.02); "seed=N".
#include <verilated.h>
#include "Vuart_tb_top.h"
#include "sipnic_regs.generated.h"  // scripts/gen-regs.mjs, from rtl/regs.json

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../../sim/src/uart_model.h"

#ifndef CPB
#define CPB 10  // clocks per bit (CLK_HZ / BAUD)
#endif
#ifndef TIMEOUT
#define TIMEOUT 2000  // bridge TIMEOUT_CLOCKS
#endif

typedef std::vector<uint8_t> Bytes;

#include "tb_check.h"

static const uint32_t CORE_TYPE = 0x53500001;
static const uint32_t W_TYPE = 0x00;     // word addresses
static const uint32_t W_SCRATCH = 0x07;  // byte 0x1C

// ---------------------------------------------------------------- CRC-16/CCITT-FALSE
static uint16_t crc16(const uint8_t *p, size_t n, uint16_t crc = 0xFFFF) {
    for (size_t i = 0; i < n; i++) {
        crc ^= (uint16_t)p[i] << 8;
        for (int b = 0; b < 8; b++) crc = (crc & 0x8000) ? (uint16_t)((crc << 1) ^ 0x1021) : (uint16_t)(crc << 1);
    }
    return crc;
}

// ---------------------------------------------------------------- harness
struct Bus {
    uint16_t addr;
    uint32_t data;
};

struct Harness {
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vuart_tb_top> top;
    UartModel uart{CPB};
    std::mt19937 rng{1};
    uint64_t cycles = 0;
    std::vector<Bus> writes;  // every write the core saw
    uint64_t reads = 0;

    Harness() : ctx(new VerilatedContext), top(new Vuart_tb_top(ctx.get())) {
        top->clk = 0;
        top->rst = 1;
        top->uart_rxd = 1;
        top->ack_extra = 0;
        top->eval();
        for (int i = 0; i < 20; i++) tick();
        top->rst = 0;
        for (int i = 0; i < 20; i++) tick();
    }
    ~Harness() { top->final(); }
    void tick() {
        top->uart_rxd = uart.drive();
        top->ack_extra = rng() & 3;
        top->clk = 1;
        top->eval();
        ctx->timeInc(1);
        // outputs after the edge
        if (top->mon_en) {
            if (top->mon_we)
                writes.push_back({top->mon_addr, top->mon_wdata});
            else
                reads++;
        }
        uart.sample(top->uart_txd);
        top->clk = 0;
        top->eval();
        ctx->timeInc(1);
        cycles++;
    }
    void run(uint64_t n) {
        for (uint64_t i = 0; i < n; i++) tick();
    }
    // run until the line to the design is idle, then `extra` clocks
    void drain(uint64_t extra) {
        while (!uart.idle()) tick();
        run(extra);
    }
    // wait for n answer bytes (or give up after max clocks)
    Bytes recv(size_t n, uint64_t max) {
        uint64_t end = cycles + max;
        while (uart.rx.size() < n && cycles < end) tick();
        Bytes out;
        while (!uart.rx.empty() && out.size() < n) {
            out.push_back(uart.rx.front());
            uart.rx.pop_front();
        }
        return out;
    }
    uint64_t byte_clocks(size_t n) const { return (uint64_t)n * 10 * CPB + 100; }
    void silence() { run(TIMEOUT + 40 * CPB); }
};

// ---------------------------------------------------------------- UARTBone
static Bytes ub_frame(uint8_t cmd, uint8_t len, uint32_t waddr, const std::vector<uint32_t> &data = {}) {
    Bytes f = {cmd, len, (uint8_t)(waddr >> 24), (uint8_t)(waddr >> 16), (uint8_t)(waddr >> 8), (uint8_t)waddr};
    for (uint32_t w : data) {
        f.push_back(w >> 24);
        f.push_back(w >> 16);
        f.push_back(w >> 8);
        f.push_back(w);
    }
    return f;
}
static std::vector<uint32_t> words(const Bytes &b) {
    std::vector<uint32_t> w;
    for (size_t i = 0; i + 3 < b.size(); i += 4)
        w.push_back((uint32_t)b[i] << 24 | (uint32_t)b[i + 1] << 16 | (uint32_t)b[i + 2] << 8 | b[i + 3]);
    return w;
}
static std::vector<uint32_t> ub_read(Harness &h, uint8_t cmd, uint8_t len, uint32_t waddr) {
    h.uart.send(ub_frame(cmd, len, waddr));
    size_t n = (len ? len : 256) * 4;
    return words(h.recv(n, h.byte_clocks(n + 6) + 1000));
}
static void ub_write(Harness &h, uint8_t cmd, uint32_t waddr, const std::vector<uint32_t> &data) {
    h.uart.send(ub_frame(cmd, (uint8_t)data.size(), waddr, data));
    h.drain(200);
}
static uint32_t ub_read1(Harness &h, uint32_t waddr) {
    auto w = ub_read(h, 0x02, 1, waddr);
    return w.empty() ? 0xDEADDEAD : w[0];
}

// ---------------------------------------------------------------- reliable commands
static Bytes rel_frame(uint8_t op, uint8_t seq, uint32_t waddr, uint8_t len, const std::vector<uint32_t> &data = {}) {
    Bytes f = {op, seq, (uint8_t)(0x80 | len), (uint8_t)(waddr >> 24), (uint8_t)(waddr >> 16), (uint8_t)(waddr >> 8),
               (uint8_t)waddr};
    for (uint32_t w : data) {
        f.push_back(w >> 24);
        f.push_back(w >> 16);
        f.push_back(w >> 8);
        f.push_back(w);
    }
    uint16_t c = crc16(f.data(), f.size());
    f.push_back(c >> 8);
    f.push_back(c & 0xFF);
    return f;
}

struct Answer {
    bool ok = false;  // a complete frame with a good CRC
    uint8_t seq = 0, status = 0;
    std::vector<uint32_t> data;
};

// incremental decoder: garbage before the marker is skipped; a bad CRC drops the marker byte
struct Decoder {
    Bytes buf;
    std::vector<Answer> push(const Bytes &in) {
        std::vector<Answer> out;
        buf.insert(buf.end(), in.begin(), in.end());
        for (;;) {
            size_t i = 0;
            while (i < buf.size() && buf[i] != 0xA5) i++;
            buf.erase(buf.begin(), buf.begin() + i);
            if (buf.size() < 4) break;
            size_t n = buf[3];
            if (n > 16) {
                buf.erase(buf.begin());
                continue;
            }
            size_t total = 4 + 4 * n + 2;
            if (buf.size() < total) break;
            if (crc16(buf.data(), total) != 0) {
                buf.erase(buf.begin());
                continue;
            }
            Answer a;
            a.ok = true;
            a.seq = buf[1];
            a.status = buf[2];
            a.data = words(Bytes(buf.begin() + 4, buf.begin() + 4 + 4 * n));
            out.push_back(a);
            buf.erase(buf.begin(), buf.begin() + total);
        }
        return out;
    }
};

// send one reliable frame and wait for its answer (no channel errors)
static Answer rel_exchange(Harness &h, const Bytes &frame, size_t answer_words) {
    h.uart.send(frame);
    Decoder d;
    uint64_t end = h.cycles + h.byte_clocks(frame.size() + 6 + 4 * answer_words) + 2000;
    while (h.cycles < end) {
        h.tick();
        if (!h.uart.rx.empty()) {
            Bytes b(h.uart.rx.begin(), h.uart.rx.end());
            h.uart.rx.clear();
            auto as = d.push(b);
            if (!as.empty()) return as[0];
        }
    }
    return Answer{};
}

static size_t count_writes(const Harness &h, size_t from, uint16_t addr) {
    size_t n = 0;
    for (size_t i = from; i < h.writes.size(); i++) n += h.writes[i].addr == addr;
    return n;
}

// ---------------------------------------------------------------- tests
static void test_uartbone(Harness &h) {
    uint32_t t = ub_read1(h, W_TYPE);
    CHECK(t == CORE_TYPE, "UARTBone read TYPE = %08x", t);

    ub_write(h, 0x01, W_SCRATCH, {0x12345678});
    CHECK(ub_read1(h, W_SCRATCH) == 0x12345678, "UARTBone write/read SCRATCH");

    // fixed-address write: every word lands on SCRATCH, the last one stays
    size_t w0 = h.writes.size();
    std::vector<uint32_t> d;
    for (int i = 0; i < 255; i++) d.push_back(0xA0000000u + i);
    ub_write(h, 0x03, W_SCRATCH, d);
    CHECK(count_writes(h, w0, 0x1C) == 255 && h.writes.size() - w0 == 255, "fixed write len 255: %zu writes",
          h.writes.size() - w0);
    CHECK(ub_read1(h, W_SCRATCH) == 0xA00000FE, "fixed write len 255 leaves the last word");

    // incrementing write len 255 into an unmapped area: addresses and data as sent
    w0 = h.writes.size();
    ub_write(h, 0x01, 0x800, d);
    bool good = h.writes.size() - w0 == 255;
    for (size_t i = 0; good && i < 255; i++)
        good = h.writes[w0 + i].addr == 0x2000 + 4 * i && h.writes[w0 + i].data == d[i];
    CHECK(good, "incrementing write len 255: bus addresses/data");

    // fixed-address reads
    auto f = ub_read(h, 0x04, 255, W_SCRATCH);
    good = f.size() == 255;
    for (uint32_t v : f) good = good && v == 0xA00000FE;
    CHECK(good, "fixed read len 255 of SCRATCH (%zu words)", f.size());
    f = ub_read(h, 0x04, 0, W_TYPE);
    good = f.size() == 256;
    for (uint32_t v : f) good = good && v == CORE_TYPE;
    CHECK(good, "fixed read len 0 = 256 words of TYPE (%zu words)", f.size());

    // incrementing read len 255 equals single reads. The words span the flow block's walk, whose
    // WALK_DATA read steps the cursor WALK_SLOT: both sequences start from slot 0, so they read
    // the same accesses in the same order, and the burst must have stepped the cursor once.
    const uint32_t walkSlot = (BLK_FLOW_BASE + REG_FLOW_WALK_SLOT) / 4;
    static_assert((BLK_FLOW_BASE + REG_FLOW_WALK_DATA) / 4 < 255, "the burst covers the walk");
    ub_write(h, 0x01, walkSlot, {0});
    auto burst = ub_read(h, 0x02, 255, 0);
    good = burst.size() == 255;
    CHECK(ub_read1(h, walkSlot) == 1, "the burst read WALK_DATA once: the walk is at slot 1");
    ub_write(h, 0x01, walkSlot, {0});
    for (uint32_t i = 0; good && i < 255; i++) {
        uint32_t s = ub_read1(h, i);
        if (s != burst[i]) {
            printf("  word %u: burst %08x single %08x\n", i, burst[i], s);
            good = false;
        }
    }
    CHECK(good, "incrementing read len 255 equals single reads");
    f = ub_read(h, 0x02, 2, W_SCRATCH);
    CHECK(f.size() == 2 && f[0] == 0xA00000FE, "incrementing read len 2 from SCRATCH");

    // out of the 64 KiB window: writes dropped, reads 0, no bus access
    w0 = h.writes.size();
    uint64_t r0 = h.reads;
    ub_write(h, 0x01, 0x01000007, {0xBAD0BAD0});
    f = ub_read(h, 0x02, 1, 0x00004000);
    CHECK(h.writes.size() == w0 && h.reads == r0 && f.size() == 1 && f[0] == 0, "out-of-window access not performed");
    CHECK(ub_read1(h, W_SCRATCH) == 0xA00000FE, "SCRATCH untouched by out-of-window write");
}

static void test_timeout(Harness &h) {
    uint16_t to0 = h.top->stat_timeouts;
    // truncated in the address
    h.uart.send(Bytes{0x01, 0x01, 0x00, 0x00});
    h.drain(0);
    h.silence();
    CHECK(ub_read1(h, W_TYPE) == CORE_TYPE, "resync after frame truncated in the address");
    // truncated in the data
    size_t w0 = h.writes.size();
    h.uart.send(Bytes{0x01, 0x01, 0x00, 0x00, 0x00, 0x07, 0x11, 0x22});
    h.drain(0);
    h.silence();
    CHECK(h.writes.size() == w0, "truncated write not executed");
    CHECK(ub_read1(h, W_TYPE) == CORE_TYPE, "resync after frame truncated in the data");
    // a pause shorter than the timeout inside a frame is fine
    h.uart.send(Bytes{0x02, 0x01, 0x00, 0x00});
    h.drain(TIMEOUT / 2);
    h.uart.send(Bytes{0x00, 0x00});
    auto w = words(h.recv(4, h.byte_clocks(8)));
    CHECK(w.size() == 1 && w[0] == CORE_TYPE, "pause below the timeout keeps the frame");
    CHECK((uint16_t)(h.top->stat_timeouts - to0) == 2, "two timeouts counted (%u)", h.top->stat_timeouts - to0);
    // unknown command byte: ignored until silence
    h.uart.send(Bytes{0x55, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00});
    h.drain(0);
    CHECK(h.recv(1, 2000).empty(), "unknown command ignored");
    h.silence();
    CHECK(ub_read1(h, W_TYPE) == CORE_TYPE, "resync after unknown command");
    // a byte with a bad stop bit inside a frame abandons it
    uint16_t e0 = h.top->stat_rx_errors;
    w0 = h.writes.size();
    h.uart.send(Bytes{0x01, 0x01, 0x00, 0x00});
    h.uart.send(0x00, true);
    h.uart.send(Bytes{0x07, 0x11, 0x22, 0x33, 0x44});
    h.drain(0);
    h.silence();
    CHECK(h.writes.size() == w0 && h.top->stat_rx_errors == (uint16_t)(e0 + 1), "frame with a framing error dropped");
    CHECK(ub_read1(h, W_TYPE) == CORE_TYPE, "resync after framing error");
}

static void test_reliable(Harness &h) {
    uint8_t seq = 0x90;
    // good path
    size_t w0 = h.writes.size();
    Answer a = rel_exchange(h, rel_frame(0x81, seq, W_SCRATCH, 1, {0xCAFEF00D}), 0);
    CHECK(a.ok && a.seq == seq && a.status == 0 && a.data.empty(), "reliable write: ok answer");
    CHECK(count_writes(h, w0, 0x1C) == 1, "reliable write executed once");
    seq++;
    a = rel_exchange(h, rel_frame(0x82, seq, W_SCRATCH, 1), 1);
    CHECK(a.ok && a.seq == seq && a.status == 0 && a.data.size() == 1 && a.data[0] == 0xCAFEF00D,
          "reliable read SCRATCH");
    seq++;
    a = rel_exchange(h, rel_frame(0x82, seq, 0, 16), 16);
    auto burst = ub_read(h, 0x02, 16, 0);
    CHECK(a.ok && a.status == 0 && a.data == burst, "reliable read len 16 equals UARTBone read");
    seq++;
    a = rel_exchange(h, rel_frame(0x84, seq, W_TYPE, 3), 3);
    CHECK(a.ok && a.data.size() == 3 && a.data[2] == CORE_TYPE, "reliable fixed read");
    seq++;
    w0 = h.writes.size();
    a = rel_exchange(h, rel_frame(0x83, seq, W_SCRATCH, 16, std::vector<uint32_t>(16, 0x0F0F0F0F)), 0);
    CHECK(a.ok && a.status == 0 && count_writes(h, w0, 0x1C) == 16, "reliable fixed write len 16");
    seq++;

    // bad length: NAK 2, nothing executed
    Bytes f;
    w0 = h.writes.size();
    a = rel_exchange(h, rel_frame(0x81, seq, W_SCRATCH, 17, std::vector<uint32_t>(17, 1)), 0);
    CHECK(a.ok && a.seq == seq && a.status == 2, "len 17: NAK bad length (status %u)", a.status);
    h.drain(0);
    h.silence();
    a = rel_exchange(h, rel_frame(0x81, seq, W_SCRATCH, 0), 0);
    CHECK(a.ok && a.status == 2, "len 0: NAK bad length");
    h.silence();
    f = rel_frame(0x82, seq, W_SCRATCH, 1);
    f[2] = 0x01;  // length byte without bit 7
    a = rel_exchange(h, f, 0);
    CHECK(a.ok && a.status == 2, "length byte without bit 7: NAK bad length");
    h.silence();
    CHECK(h.writes.size() == w0, "bad length not executed");

    // corrupted byte: CRC fails, NAK 1, not executed
    uint16_t c0 = h.top->stat_crc_errors;
    f = rel_frame(0x81, seq, W_SCRATCH, 1, {0x11111111});
    f[8] ^= 0x40;
    a = rel_exchange(h, f, 0);
    CHECK(a.ok && a.status == 1, "corrupted data: NAK bad CRC (status %u)", a.status);
    h.silence();
    CHECK(h.writes.size() == w0 && h.top->stat_crc_errors == (uint16_t)(c0 + 1), "corrupted command not executed");
    CHECK(ub_read1(h, W_SCRATCH) == 0x0F0F0F0F, "SCRATCH unchanged after corrupted command");

    // lost command byte: seq is taken as the command, frame discarded, nothing executed
    f = rel_frame(0x81, seq, W_SCRATCH, 1, {0x22222222});
    h.uart.send(Bytes(f.begin() + 1, f.end()));
    h.drain(0);
    h.silence();
    CHECK(h.writes.size() == w0, "frame without its command byte not executed");

    // command byte damaged into a UARTBone write: its address is outside the window
    for (uint8_t op : {0x01, 0x03}) {
        f = rel_frame(0x81, seq, W_SCRATCH, 2, {0x33333333, 0x44444444});
        f[0] = op;
        h.uart.send(f);
        h.drain(0);
        h.silence();
        CHECK(h.writes.size() == w0, "reliable frame read as UARTBone %02x: nothing written", op);
    }
    // command and sequence bytes lost: the length byte (bit 7 set) is not a command
    for (uint8_t len : {1, 3}) {
        f = rel_frame(0x81, seq, W_SCRATCH, len, std::vector<uint32_t>(len, 0x00000055));
        h.uart.send(Bytes(f.begin() + 2, f.end()));
        h.drain(0);
        h.silence();
        CHECK(h.writes.size() == w0, "frame without command and sequence bytes (len %u): nothing written", len);
    }
    CHECK(ub_read1(h, W_TYPE) == CORE_TYPE, "resync after damaged headers");

    // duplicate: write SCRATCH=A, change it through UARTBone, retry: not written again
    uint16_t r0 = h.top->stat_replays;
    f = rel_frame(0x81, seq, W_SCRATCH, 1, {0xAAAA0001});
    a = rel_exchange(h, f, 0);
    CHECK(a.ok && a.status == 0 && ub_read1(h, W_SCRATCH) == 0xAAAA0001, "reliable write A");
    ub_write(h, 0x01, W_SCRATCH, {0xBBBB0002});
    w0 = h.writes.size();
    a = rel_exchange(h, f, 0);
    CHECK(a.ok && a.seq == seq && a.status == 0x80, "retry answered from cache (status %02x)", a.status);
    CHECK(h.writes.size() == w0, "retry not executed again");
    CHECK(ub_read1(h, W_SCRATCH) == 0xBBBB0002, "SCRATCH keeps the UARTBone value");
    seq++;
    // duplicate read returns the cached data
    f = rel_frame(0x82, seq, W_SCRATCH, 1);
    a = rel_exchange(h, f, 1);
    ub_write(h, 0x01, W_SCRATCH, {0xCCCC0003});
    uint64_t rd0 = h.reads;
    Answer b = rel_exchange(h, f, 1);
    CHECK(a.ok && b.ok && b.status == 0x80 && b.data.size() == 1 && b.data[0] == 0xBBBB0002 && h.reads == rd0,
          "retried read answered from cache without a bus read");
    CHECK((uint16_t)(h.top->stat_replays - r0) == 2, "two replays counted");
    // same seq, different bytes: a new command, executed
    w0 = h.writes.size();
    a = rel_exchange(h, rel_frame(0x81, seq, W_SCRATCH, 1, {0xDDDD0004}), 0);
    CHECK(a.ok && a.status == 0 && h.writes.size() == w0 + 1, "same seq with other bytes is executed");
    seq++;
    // out of the window: status 3, nothing done
    w0 = h.writes.size();
    a = rel_exchange(h, rel_frame(0x81, seq, 0x3FFF, 2, {1, 2}), 0);
    CHECK(a.ok && a.status == 3 && h.writes.size() == w0, "write crossing the window end: bad address");
    seq++;
    // answers and commands back to back with UARTBone on the same line
    a = rel_exchange(h, rel_frame(0x82, seq, W_TYPE, 1), 1);
    CHECK(a.ok && a.data.size() == 1 && a.data[0] == CORE_TYPE && ub_read1(h, W_TYPE) == CORE_TYPE,
          "reliable and UARTBone interleaved");
}

// host retry loop over a lossy channel
static void test_stress(Harness &h, int commands, double rate, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(0, 1);
    uint8_t seq = 0x80 | (rng() & 0x7F);
    uint32_t scratch = ub_read1(h, W_SCRATCH);
    size_t w0 = h.writes.size();
    uint64_t expected_writes = 0;
    int attempts = 0, failures = 0, bad_reads = 0, gave_up = 0;
    uint16_t r0 = h.top->stat_replays, c0 = h.top->stat_crc_errors, t0 = h.top->stat_timeouts;
    int injected = 0;

    for (int n = 0; n < commands; n++) {
        seq = 0x80 | ((seq + 1) & 0x7F);
        bool write = rng() & 1;
        uint8_t len = 1 + rng() % 16;
        std::vector<uint32_t> data;
        Bytes frame;
        if (write) {
            for (int i = 0; i < len; i++) data.push_back(rng());
            frame = rel_frame(0x83, seq, W_SCRATCH, len, data);
        } else {
            frame = rel_frame(0x84, seq, W_SCRATCH, len);
        }
        bool done = false;
        for (int attempt = 0; attempt < 200 && !done; attempt++) {
            attempts++;
            // host -> design through the channel
            for (uint8_t b : frame) {
                double x = u(rng);
                if (x < rate / 3) {
                    injected++;  // lost without trace
                } else if (x < 2 * rate / 3) {
                    injected++;
                    h.uart.send(b, true);  // lost with a framing error
                } else if (x < rate) {
                    injected++;
                    h.uart.send(b ^ (uint8_t)(1 + rng() % 255));
                } else {
                    h.uart.send(b);
                }
            }
            Decoder d;
            bool nak = false;
            size_t answer_words = write ? 0 : len;
            uint64_t end = h.cycles + h.byte_clocks(frame.size() + 6 + 4 * answer_words) + 1000;
            while (h.cycles < end && !done && !nak) {
                h.tick();
                while (!h.uart.rx.empty()) {
                    uint8_t b = h.uart.rx.front();
                    h.uart.rx.pop_front();
                    double x = u(rng);
                    if (x < rate / 2) {
                        injected++;
                        continue;
                    }
                    if (x < rate) {
                        injected++;
                        b ^= (uint8_t)(1 + rng() % 255);
                    }
                    for (const Answer &a : d.push(Bytes{b})) {
                        if (a.seq != seq) continue;
                        if ((a.status & 0x7F) != 0) {
                            nak = true;  // retry after silence
                            break;
                        }
                        done = true;
                        if (!write) {
                            bool good = a.data.size() == len;
                            for (size_t i = 0; good && i < a.data.size(); i++) good = a.data[i] == scratch;
                            bad_reads += !good;
                        }
                    }
                    if (done || nak) break;
                }
            }
            if (!done) {
                failures++;
                // let the bridge see silence and forget the frame, throw away late bytes
                h.drain(0);
                h.silence();
                h.uart.rx.clear();
            }
        }
        if (!done) {
            gave_up++;
            continue;
        }
        if (write) {
            scratch = data.back();
            expected_writes += len;
        }
    }
    h.drain(0);
    h.silence();
    h.uart.rx.clear();
    uint32_t final_value = ub_read1(h, W_SCRATCH);
    size_t scratch_writes = count_writes(h, w0, 0x1C);
    size_t stray = h.writes.size() - w0 - scratch_writes;
    for (size_t i = w0, shown = 0; i < h.writes.size() && shown < 8; i++) {
        if (h.writes[i].addr != 0x1C) {
            printf("  stray write %04x = %08x\n", h.writes[i].addr, h.writes[i].data);
            shown++;
        }
    }
    printf("  stress: %d commands, rate %.3f, %d bytes damaged, %d attempts, %d failed attempts, %u replays, "
           "%u CRC errors, %u timeouts\n",
           commands, rate, injected, attempts, failures, (uint16_t)(h.top->stat_replays - r0),
           (uint16_t)(h.top->stat_crc_errors - c0), (uint16_t)(h.top->stat_timeouts - t0));
    CHECK(gave_up == 0, "stress: %d commands never acknowledged", gave_up);
    CHECK(bad_reads == 0, "stress: %d acknowledged reads with wrong data", bad_reads);
    CHECK(final_value == scratch, "stress: read-back %08x, host believes %08x", final_value, scratch);
    CHECK(scratch_writes == expected_writes, "stress: %zu SCRATCH writes on the bus, %llu expected (each command once)",
          scratch_writes, (unsigned long long)expected_writes);
    CHECK(stray == 0, "stress: %zu writes to other addresses", stray);
}

int main(int argc, char **argv) {
    bool short_run = false;
    double rate = 0.02;
    unsigned seed = 1;
    int commands = 2000;
    for (int i = 1; i < argc; i++) {
        std::string a = argv[i];
        if (a == "short") short_run = true;
        else if (a.rfind("rate=", 0) == 0) rate = atof(a.c_str() + 5);
        else if (a.rfind("seed=", 0) == 0) seed = (unsigned)atoi(a.c_str() + 5);
        else if (a.rfind("commands=", 0) == 0) commands = atoi(a.c_str() + 9);
    }
    Harness h;
    printf("uart_bridge_tb: %d clocks per bit, timeout %d clocks%s\n", CPB, TIMEOUT, short_run ? " (short)" : "");
    if (short_run) {
        CHECK(ub_read1(h, W_TYPE) == CORE_TYPE, "UARTBone read TYPE");
        ub_write(h, 0x01, W_SCRATCH, {0x5EED1234});
        CHECK(ub_read1(h, W_SCRATCH) == 0x5EED1234, "UARTBone write/read SCRATCH");
        Answer a = rel_exchange(h, rel_frame(0x81, 0x81, W_SCRATCH, 1, {0x600DF00D}), 0);
        CHECK(a.ok && a.status == 0, "reliable write");
        a = rel_exchange(h, rel_frame(0x82, 0x82, W_TYPE, 8), 8);
        CHECK(a.ok && a.status == 0 && a.data.size() == 8 && a.data[0] == CORE_TYPE && a.data[7] == 0x600DF00D,
              "reliable read len 8");
        h.uart.send(Bytes{0x02, 0x01, 0x00});
        h.drain(0);
        h.silence();
        CHECK(ub_read1(h, W_TYPE) == CORE_TYPE && h.top->stat_timeouts == 1, "resync after the 100 ms timeout");
    } else {
        test_uartbone(h);
        test_timeout(h);
        test_reliable(h);
        test_stress(h, commands, rate, seed);
    }
    printf("  %llu clocks simulated\n", (unsigned long long)h.cycles);
    printf("uart_bridge_tb: %d passed, %d failed\n", g_pass, g_fail);
    return g_fail ? 1 : 0;
}
