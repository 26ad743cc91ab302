// sipnic-pty-sim: the Verilated adapter (UART register bridge + core, sim/pty/sipnic_pty_top_*.v)
// behind a pseudo-terminal, so the host reaches it through a serial port exactly as the board.
//
//   sipnic-pty-sim [--fault-rate R] [--fault-seed S] [--silence-ms MS] [--phy PORT:MODE[,PORT:MODE]]
//   sipnic-pty-sim --clock-rate N        (clocks N cycles, prints clocks per second, exits)
//
// Prints the PTY's slave path as the first line of stdout and a JSON line about the model as the
// second, then serves until SIGINT/SIGTERM (or until its parent dies). A bit-level UART model drives uart_rxd and decodes uart_txd at
// CPB = CLK_HZ / BAUD clocks per bit (both set by scripts/build-pty-sim.mjs).
//
// Time: while bytes move, the model runs as fast as it can. When the line falls silent, it
// keeps clocking for a short tail (the bridge answers). A PTY has no line rate, so the bridge's
// silence timeout (TIMEOUT_CLOCKS = CLK_HZ / 10 clocks, "100 ms" at the nominal rate) is mapped
// to wall time by one rule: a silence on the PTY shorter than --silence-ms (default 2 ms) costs
// no clocks (for the bridge the next byte follows at once); once the PTY has been silent for
// --silence-ms, the model clocks at full speed until the bridge's timeout has surely passed
// (it forgets a half frame, ends a discard) and a byte that arrives meanwhile waits until then.
// Then the model blocks in poll() without using the CPU. So a host that waits more than
// --silence-ms after the last byte on the line finds the bridge ready, as one that waits
// more than 100 ms does on the board. The JSON line on stdout says silenceMs.
//
// PHYs: the NIC's MDIO bus carries a PHY model per port (sim/phy, addresses 0 and 1). --phy sets
// a port's link: MODE is 1000, 100 or 10 (Mb/s, full duplex; add "half" for half duplex, e.g.
// 100half), "down" (no link), or "absent" (the PHY never answers). Default: both 1000 full.
//
// Faults: with --fault-rate R each byte in each direction is, with probability R, dropped or
// damaged (xor of a random non-zero mask), half and half, from a generator seeded with
// --fault-seed. SIGUSR2 pauses or resumes the injection. The counts go to stderr as one line on
// exit, on SIGUSR1 and on SIGUSR2:
//   sipnic-pty-sim: faults {"rate":R,"seed":S,"toAdapter":{...},"toHost":{...},"cycles":N,"paused":false}
#include <verilated.h>

#include "Vsipnic_pty_top.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "../src/uart_model.h"

#ifndef PTY_CLK_HZ
#define PTY_CLK_HZ 19200
#endif
#ifndef PTY_BAUD
#define PTY_BAUD 2400
#endif
#ifndef PTY_DATA_WIDTH
#define PTY_DATA_WIDTH 32
#endif

namespace {

constexpr uint64_t kClkHz = PTY_CLK_HZ;
constexpr int kCpb = (PTY_CLK_HZ + PTY_BAUD / 2) / PTY_BAUD;
static_assert(kCpb >= 8, "the bridge needs at least 8 clocks per bit");
constexpr uint64_t kTimeoutClocks = kClkHz / 10;
// after the last bit on either wire, clock this long at full speed: the bridge executes and answers
constexpr uint64_t kActiveTail = 4ull * 10 * kCpb;
// silence after which the bridge is idle whatever it was doing (timeout + a few byte times: its
// timer may start up to one byte time before the line goes quiet)
constexpr uint64_t kSilenceLimit = kTimeoutClocks + 4ull * 10 * kCpb;
// default wall-clock silence that counts as the bridge's timeout (--silence-ms)
constexpr double kDefaultSilenceMs = 2;
// clocks run between two looks at the PTY while the line is busy (4 byte times)
constexpr int kRoundClocks = 4 * 10 * kCpb;
// receive no more host bytes while this many wait to be clocked in (back-pressure stays in the PTY)
constexpr size_t kInputHigh = 512;
// bytes for a host that is not reading: kept up to this, then the oldest are thrown away
constexpr size_t kOutputMax = 1 << 20;

volatile sig_atomic_t g_stop = 0;
volatile sig_atomic_t g_report = 0;
volatile sig_atomic_t g_toggle = 0;
int g_wake[2] = {-1, -1};

void onSignal(int sig) {
    if (sig == SIGUSR1)
        g_report = 1;
    else if (sig == SIGUSR2)
        g_toggle = 1;
    else
        g_stop = 1;
    const char b = 0;
    ssize_t ignored = write(g_wake[1], &b, 1);
    (void)ignored;
}

double wallSeconds() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

[[noreturn]] void die(const char *what) {
    fprintf(stderr, "sipnic-pty-sim: %s: %s\n", what, strerror(errno));
    exit(1);
}

struct Direction {
    uint64_t bytes = 0, dropped = 0, corrupted = 0;
};

// Drops or damages bytes at a fixed rate from a seeded generator.
class Faults {
 public:
    Faults(double rate, uint64_t seed) : rate_(rate), seed_(seed), rng_(seed) {}
    // false: the byte is lost; otherwise b may have been damaged
    bool pass(Direction &d, uint8_t &b) {
        d.bytes++;
        if (rate_ <= 0 || paused) return true;
        if (uniform() >= rate_) return true;
        if (rng_() & 1) {
            d.dropped++;
            return false;
        }
        uint8_t mask = 0;
        while (mask == 0) mask = static_cast<uint8_t>(rng_());
        b ^= mask;
        d.corrupted++;
        return true;
    }
    void report(FILE *f, uint64_t cycles) const {
        fprintf(f,
                "sipnic-pty-sim: faults {\"rate\":%g,\"seed\":%" PRIu64
                ",\"toAdapter\":{\"bytes\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"corrupted\":%" PRIu64
                "},\"toHost\":{\"bytes\":%" PRIu64 ",\"dropped\":%" PRIu64 ",\"corrupted\":%" PRIu64
                "},\"cycles\":%" PRIu64 ",\"paused\":%s}\n",
                rate_, seed_, toAdapter.bytes, toAdapter.dropped, toAdapter.corrupted, toHost.bytes, toHost.dropped,
                toHost.corrupted, cycles, paused ? "true" : "false");
        fflush(f);
    }
    Direction toAdapter, toHost;
    // SIGUSR2 pauses and resumes the injection (bytes still counted)
    bool paused = false;

 private:
    double uniform() { return static_cast<double>(rng_() >> 11) * (1.0 / 9007199254740992.0); }
    double rate_;
    uint64_t seed_;
    std::mt19937_64 rng_;
};

// One port's PHY as --phy sets it.
struct PhyMode {
    bool present = true;
    bool up = true;
    int speed = 1000;
    bool full = true;
};

// "1000", "100half", "down", "absent" -> mode; false when the text is none of them
bool parsePhyMode(const std::string &text, PhyMode &m) {
    m = PhyMode();
    if (text == "absent") {
        m.present = false;
        return true;
    }
    if (text == "down") {
        m.up = false;
        return true;
    }
    std::string num = text;
    if (num.size() > 4 && num.compare(num.size() - 4, 4, "half") == 0) {
        m.full = false;
        num.resize(num.size() - 4);
    } else if (num.size() > 4 && num.compare(num.size() - 4, 4, "full") == 0) {
        num.resize(num.size() - 4);
    }
    if (num != "1000" && num != "100" && num != "10") return false;
    m.speed = std::stoi(num);
    return true;
}

class PtySim {
 public:
    PtySim(double rate, uint64_t seed, double silenceMs = kDefaultSilenceMs, const PhyMode *phys = nullptr)
        : ctx_(std::make_unique<VerilatedContext>()), faults_(rate, seed), silence_(silenceMs / 1000) {
        ctx_->debug(0);
        ctx_->randReset(0);
        top_ = std::make_unique<Vsipnic_pty_top>(ctx_.get(), "TOP");
        const PhyMode defaults[2];
        if (!phys) phys = defaults;
        top_->phy_present = 0;
        top_->phy_link_up = 0;
        top_->phy_speed = 0;
        top_->phy_full_duplex = 0;
        for (int p = 0; p < 2; p++) {
            const PhyMode &m = phys[p];
            top_->phy_present |= (m.present ? 1 : 0) << p;
            top_->phy_link_up |= (m.up ? 1 : 0) << p;
            top_->phy_full_duplex |= (m.full ? 1 : 0) << p;
            top_->phy_speed |= (m.speed == 1000 ? 2 : m.speed == 100 ? 1 : 0) << (2 * p);
        }
        top_->clk = 0;
        top_->rst = 1;
        top_->uart_rxd = 1;
        top_->eval();
        for (int i = 0; i < 16; i++) tick();
        top_->rst = 0;
        for (int i = 0; i < 16; i++) tick();
    }
    ~PtySim() { top_->final(); }

    void openPty() {
        master_ = posix_openpt(O_RDWR | O_NOCTTY);
        if (master_ < 0) die("posix_openpt");
        if (grantpt(master_) != 0) die("grantpt");
        if (unlockpt(master_) != 0) die("unlockpt");
        const char *name = ptsname(master_);
        if (!name) die("ptsname");
        path_ = name;
        // Hold the slave open: the line settings stay raw between hosts, and the master does not
        // see a hang-up (EIO) while no host has the port open.
        slave_ = open(path_.c_str(), O_RDWR | O_NOCTTY);
        if (slave_ < 0) die(("open " + path_).c_str());
        termios t;
        if (tcgetattr(slave_, &t) != 0) die("tcgetattr");
        cfmakeraw(&t);
        t.c_cflag |= CLOCAL | CREAD;
        cfsetspeed(&t, B115200);
        if (tcsetattr(slave_, TCSANOW, &t) != 0) die("tcsetattr");
        if (fcntl(master_, F_SETFL, fcntl(master_, F_GETFL) | O_NONBLOCK) != 0) die("fcntl");
    }

    const std::string &path() const { return path_; }

    // clocks per second of the model with an idle line (for `npm run bench`)
    double clockRate(uint64_t clocks) {
        const double t0 = wallSeconds();
        for (uint64_t i = 0; i < clocks; i++) tick();
        return static_cast<double>(clocks) / (wallSeconds() - t0);
    }

    int serve() {
        double silentSince = wallSeconds();
        std::vector<uint8_t> buf(4096);
        while (!g_stop) {
            if (g_toggle) {
                g_toggle = 0;
                faults_.paused = !faults_.paused;
                g_report = 1;
            }
            if (g_report) {
                g_report = 0;
                faults_.report(stderr, cycles_);
            }
            const bool busy = !uart_.quiet() || cycles_ - lastActive_ < kActiveTail;
            int timeout;
            if (busy) {
                timeout = 0;
            } else if (cycles_ - lastActive_ < kSilenceLimit) {
                // silence, perhaps mid-frame: wake when it reaches silence_
                const double left = silence_ - (wallSeconds() - silentSince);
                timeout = left > 0 ? 1 + static_cast<int>(left * 1000) : 0;
            } else {
                timeout = -1;  // the bridge is idle whatever it was doing
            }
            pollfd fds[2] = {{master_, 0, 0}, {g_wake[0], POLLIN, 0}};
            if (uart_.pending() < kInputHigh) fds[0].events |= POLLIN;
            if (!out_.empty()) fds[0].events |= POLLOUT;
            if (fds[0].events == 0 && timeout < 0) timeout = 2;
            int n = poll(fds, 2, timeout);
            if (n < 0 && errno != EINTR) die("poll");
            if (n > 0 && (fds[1].revents & POLLIN)) {
                char drain[16];
                while (read(g_wake[0], drain, sizeof drain) > 0) {
                }
            }
            if (!busy && cycles_ - lastActive_ < kSilenceLimit && wallSeconds() - silentSince >= silence_) {
                // silent for silence_: for the bridge that is its whole timeout (before any new byte)
                const uint64_t target = lastActive_ + kSilenceLimit;
                while (cycles_ < target && !g_stop) tick();
            }
            if (n > 0 && (fds[0].revents & POLLIN)) {
                ssize_t got = read(master_, buf.data(), buf.size());
                if (got > 0) {
                    for (ssize_t i = 0; i < got; i++) {
                        uint8_t b = buf[i];
                        if (faults_.pass(faults_.toAdapter, b)) uart_.send(b);
                    }
                } else if (got < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) {
                    die("read");
                }
            }
            if (!uart_.quiet() || cycles_ - lastActive_ < kActiveTail) {
                // a few byte times per round, then look at the PTY again
                for (int i = 0; i < kRoundClocks; i++) tick();
                silentSince = wallSeconds();
            }
            flushOut();
        }
        faults_.report(stderr, cycles_);
        return 0;
    }

 private:
    void tick() {
        const uint8_t rxd = uart_.drive();
        top_->uart_rxd = rxd;
        top_->clk = 1;
        top_->eval();
        ctx_->timeInc(1);
        const uint8_t txd = top_->uart_txd;
        uart_.sample(txd);
        top_->clk = 0;
        top_->eval();
        ctx_->timeInc(1);
        cycles_++;
        if (!rxd || !txd || !uart_.quiet()) lastActive_ = cycles_;
    }

    void flushOut() {
        for (uint8_t b : uart_.rx) {
            if (faults_.pass(faults_.toHost, b)) out_.push_back(b);
        }
        uart_.rx.clear();
        while (!out_.empty()) {
            uint8_t chunk[4096];
            size_t k = 0;
            for (; k < sizeof chunk && k < out_.size(); k++) chunk[k] = out_[k];
            ssize_t put = write(master_, chunk, k);
            if (put <= 0) break;
            out_.erase(out_.begin(), out_.begin() + put);
        }
        if (out_.size() > kOutputMax) out_.erase(out_.begin(), out_.begin() + (out_.size() - kOutputMax));
    }

    std::unique_ptr<VerilatedContext> ctx_;
    std::unique_ptr<Vsipnic_pty_top> top_;
    UartModel uart_{kCpb};
    Faults faults_;
    double silence_;  // seconds
    std::deque<uint8_t> out_;
    uint64_t cycles_ = 0;
    uint64_t lastActive_ = 0;
    int master_ = -1, slave_ = -1;
    std::string path_;
};

void usage() {
    fprintf(stderr,
            "usage: sipnic-pty-sim [--fault-rate R (0..1)] [--fault-seed S] [--silence-ms MS (1..1000)]"
            " [--phy PORT:MODE[,PORT:MODE] (PORT 0|1, MODE 1000|100|10[half]|down|absent)] | --clock-rate CLOCKS\n");
    exit(2);
}

}  // namespace

int main(int argc, char **argv) {
    double rate = 0;
    uint64_t seed = 1;
    double silenceMs = kDefaultSilenceMs;
    PhyMode phys[2];
    std::string phyText = "0:1000,1:1000";
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (a == "--phy" && i + 1 < argc) {
            const std::string v = argv[++i];
            size_t start = 0;
            while (start <= v.size()) {
                const size_t comma = v.find(',', start);
                const std::string item = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
                const size_t colon = item.find(':');
                PhyMode m;
                if (colon != 1 || (item[0] != '0' && item[0] != '1') || !parsePhyMode(item.substr(2), m)) {
                    fprintf(stderr,
                            "sipnic-pty-sim: --phy %s: \"%s\" is not PORT:MODE (PORT 0 or 1; MODE 1000, 100 or 10, with \"half\""
                            " for half duplex, or down, or absent)\n",
                            v.c_str(), item.c_str());
                    return 2;
                }
                phys[item[0] - '0'] = m;
                if (comma == std::string::npos) break;
                start = comma + 1;
            }
            phyText = v;
            continue;
        }
        if (a == "--clock-rate" && i + 1 < argc) {
            PtySim sim(0, 1);
            const uint64_t clocks = strtoull(argv[++i], nullptr, 0);
            printf("{\"clocksPerSecond\":%.0f,\"clocksPerBit\":%d}\n", sim.clockRate(clocks), kCpb);
            return 0;
        }
        if (a == "--silence-ms" && i + 1 < argc) {
            char *end = nullptr;
            const char *v = argv[++i];
            errno = 0;
            silenceMs = strtod(v, &end);
            if (*end || errno || !(silenceMs >= 1 && silenceMs <= 1000)) {
                fprintf(stderr, "sipnic-pty-sim: --silence-ms %s is not a number of milliseconds in 1..1000\n", v);
                return 2;
            }
        } else if ((a == "--fault-rate" || a == "--fault-seed") && i + 1 < argc) {
            char *end = nullptr;
            const char *v = argv[++i];
            errno = 0;
            if (a == "--fault-rate") {
                rate = strtod(v, &end);
                if (*end || errno || !(rate >= 0 && rate <= 1)) {
                    fprintf(stderr, "sipnic-pty-sim: --fault-rate %s is not a number in 0..1\n", v);
                    return 2;
                }
            } else {
                seed = strtoull(v, &end, 0);
                if (*end || errno || *v == '-') {
                    fprintf(stderr, "sipnic-pty-sim: --fault-seed %s is not an unsigned integer\n", v);
                    return 2;
                }
            }
        } else {
            usage();
        }
    }
    // end with the process that started us
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (pipe(g_wake) != 0) die("pipe");
    fcntl(g_wake[0], F_SETFL, O_NONBLOCK);
    fcntl(g_wake[1], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    sigaction(SIGHUP, &sa, nullptr);
    sigaction(SIGUSR1, &sa, nullptr);
    sigaction(SIGUSR2, &sa, nullptr);
    signal(SIGPIPE, SIG_IGN);

    PtySim sim(rate, seed, silenceMs, phys);
    sim.openPty();
    // line 1: the path alone; line 2: what it is, as JSON
    printf("%s\n{\"pty\":\"%s\",\"width\":%d,\"clkHz\":%" PRIu64 ",\"clocksPerBit\":%d,\"timeoutClocks\":%" PRIu64
           ",\"silenceMs\":%g,\"faultRate\":%g,\"faultSeed\":%" PRIu64 ",\"pid\":%d,\"phy\":\"%s\"}\n",
           sim.path().c_str(), sim.path().c_str(), PTY_DATA_WIDTH, kClkHz, kCpb, kTimeoutClocks, silenceMs, rate, seed,
           static_cast<int>(getpid()), phyText.c_str());
    fflush(stdout);
    fprintf(stderr, "sipnic-pty-sim: %s: UART bridge at %d clocks per bit, silence timeout %" PRIu64
                    " clocks (after %g ms of silence on the PTY), fault rate %g, seed %" PRIu64 "\n",
            sim.path().c_str(), kCpb, kTimeoutClocks, silenceMs, rate, seed);
    return sim.serve();
}
