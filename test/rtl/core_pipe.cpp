// One Verilated sipnic_core (the RTL, or a synthesized netlist under scripts/gate-level.mjs)
// behind a pipe: requests on stdin, answers on stdout, so the TypeScript driver can program it
// and the differential test can run frames through it (test/gate/core-pipe.ts is the other end).
// The clocked harness is the addon's (sim/src/harness.h), so frames, ids and results mean what
// they mean there.
//
// Framing, little-endian 32-bit words:
//   request  [op][n][n bytes]            answer  [status][n][n bytes]   status 0 ok, 1 error (text)
//   op 1 read   [addr]                         -> [value]
//   op 2 write  [addr][value]                  -> []
//   op 3 batch  [op, addr, value] x k          -> [word] x k          (sim/addon.ts regBatch)
//   op 4 frames [maxCycles][count][length] x count [bytes]  send, run until idle or maxCycles
//                                              -> [cycles run][still pending][k] [id][queue][reason][length] x k [bytes]
//   op 5 info                                  -> [data width][queues][cycles low][cycles high]
//   op 0 quit                                  -> [] and exit
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "Vsipnic_core.h"
#include "harness.h"

namespace {

FILE* g_out = nullptr;  // the answers: the process's stdout, kept apart from the model's $display

bool readAll(void* p, size_t n) { return n == 0 || std::fread(p, 1, n, stdin) == n; }

void answer(uint32_t status, const void* data, size_t n) {
    const uint32_t head[2] = {status, static_cast<uint32_t>(n)};
    std::fwrite(head, sizeof head, 1, g_out);
    if (n) std::fwrite(data, 1, n, g_out);
    std::fflush(g_out);
}

void answerWords(const std::vector<uint32_t>& w) { answer(0, w.data(), w.size() * 4); }

uint32_t word(const std::vector<uint8_t>& b, size_t i) {
    if (4 * i + 4 > b.size()) throw std::runtime_error("request too short");
    uint32_t v;
    std::memcpy(&v, b.data() + 4 * i, 4);
    return v;
}

}  // namespace

int main() {
    // answers go to the original stdout; whatever the model prints goes to stderr
    g_out = fdopen(dup(1), "wb");
    if (!g_out || dup2(2, 1) < 0) {
        std::perror("core_pipe: stdout");
        return 1;
    }
    sipnic::Harness<Vsipnic_core> sim("");
    std::vector<uint8_t> req;
    for (;;) {
        uint32_t head[2];
        if (!readAll(head, sizeof head)) break;  // the other end went away
        req.resize(head[1]);
        if (!readAll(req.data(), req.size())) break;
        try {
            switch (head[0]) {
                case 0:
                    answer(0, nullptr, 0);
                    sim.close();
                    return 0;
                case 1:
                    answerWords({sim.regRead(word(req, 0))});
                    break;
                case 2:
                    sim.regWrite(word(req, 0), word(req, 1));
                    answerWords({});
                    break;
                case 3: {
                    if (req.size() % 12) throw std::runtime_error("batch is not whole [op, addr, value] triples");
                    std::vector<uint32_t> ops(req.size() / 4);
                    std::memcpy(ops.data(), req.data(), req.size());
                    answerWords(sim.regBatch(ops.data(), ops.size() / 3));
                    break;
                }
                case 4: {
                    const uint32_t maxCycles = word(req, 0), count = word(req, 1);
                    const size_t at = 8 + 4 * static_cast<size_t>(count);
                    if (at > req.size()) throw std::runtime_error("frames request too short");
                    std::vector<uint32_t> lengths(count);
                    if (count) std::memcpy(lengths.data(), req.data() + 8, 4 * static_cast<size_t>(count));
                    uint64_t total = 0;
                    for (uint32_t l : lengths) total += l;
                    if (at + total != req.size()) throw std::runtime_error("frame lengths do not add up to the bytes sent");
                    sim.send(req.data() + at, total, lengths.data(), count);
                    const uint64_t ran = sim.runUntilIdle(maxCycles);
                    const sipnic::Results r = sim.collect();
                    std::vector<uint32_t> out = {static_cast<uint32_t>(ran), static_cast<uint32_t>(sim.pending()),
                                                 static_cast<uint32_t>(r.size())};
                    for (size_t i = 0; i < r.size(); i++) {
                        out.push_back(r.ids[i]);
                        out.push_back(static_cast<uint32_t>(r.queues[i]));
                        out.push_back(r.reasons[i]);
                        out.push_back(r.lengths[i]);
                    }
                    std::vector<uint8_t> bytes(out.size() * 4 + r.data.size());
                    std::memcpy(bytes.data(), out.data(), out.size() * 4);
                    if (!r.data.empty()) std::memcpy(bytes.data() + out.size() * 4, r.data.data(), r.data.size());
                    answer(0, bytes.data(), bytes.size());
                    break;
                }
                case 5:
                    answerWords({sim.width(), sim.queues(), static_cast<uint32_t>(sim.cycles()),
                                 static_cast<uint32_t>(sim.cycles() >> 32)});
                    break;
                default:
                    throw std::runtime_error("unknown op " + std::to_string(head[0]));
            }
        } catch (const std::exception& e) {
            answer(1, e.what(), std::strlen(e.what()));
        }
    }
    sim.close();
    return 0;
}
