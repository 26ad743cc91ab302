// The host's end of a UART line, bit by bit, beside a Verilated design (the shape of wbuart32's
// uartsim): 8N1, cpb clocks per bit. drive() gives uart_rxd for each clock; sample() takes the
// design's uart_txd after each clock and decodes it by sampling mid-bit. Used by the PTY
// simulator (sim/pty/pty_sim.cpp) and the testbenches of the bridge and the NIC (test/rtl/).
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

struct UartModel {
    int cpb;
    // host -> design: one entry per bit time
    std::deque<uint8_t> bits;
    int bit_clk = 0;
    uint8_t rxd = 1;
    // design -> host decoder
    int state = 0, cnt = 0, nbit = 0;
    uint8_t prev = 1, shift = 0;
    std::deque<uint8_t> rx;  // decoded bytes
    uint64_t rx_ferr = 0;    // bytes whose stop bit was 0 (dropped)

    explicit UartModel(int clocks_per_bit) : cpb(clocks_per_bit) {}

    // queues one byte; bad_stop sends a 0 stop bit (a framing error) and then an idle bit
    void send(uint8_t b, bool bad_stop = false) {
        bits.push_back(0);
        for (int i = 0; i < 8; i++) bits.push_back((b >> i) & 1);
        bits.push_back(bad_stop ? 0 : 1);
        if (bad_stop) bits.push_back(1);
    }
    void send(const std::vector<uint8_t> &v) {
        for (uint8_t b : v) send(b);
    }
    // bytes still to send (whole frames of 10 bits)
    size_t pending() const { return bits.size() / 10; }
    // nothing left to send
    bool idle() const { return bits.empty() && bit_clk == 0; }
    // nothing left to send and no byte being decoded
    bool quiet() const { return idle() && state == 0; }

    // called once per clock, before the rising edge: rxd for this clock
    uint8_t drive() {
        if (bit_clk == 0) {
            if (bits.empty()) {
                rxd = 1;
                return rxd;
            }
            rxd = bits.front();
            bits.pop_front();
        }
        if (++bit_clk == cpb) bit_clk = 0;
        return rxd;
    }

    // called once per clock with the design's txd
    void sample(uint8_t txd) {
        switch (state) {
            case 0:
                if (prev && !txd) {
                    state = 1;
                    cnt = 0;
                }
                break;
            case 1:
                if (++cnt == cpb / 2) {
                    if (txd) {
                        state = 0;
                    } else {
                        state = 2;
                        cnt = 0;
                        nbit = 0;
                    }
                }
                break;
            case 2:
                if (++cnt == cpb) {
                    cnt = 0;
                    shift = (uint8_t)((shift >> 1) | (txd << 7));
                    if (++nbit == 8) state = 3;
                }
                break;
            default:
                if (++cnt == cpb) {
                    if (txd)
                        rx.push_back(shift);
                    else
                        rx_ferr++;
                    state = 0;
                }
                break;
        }
        prev = txd;
    }
};
