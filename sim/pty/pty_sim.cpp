// sipnic-pty-sim: the Verilated adapter (UART register bridge + core, sim/pty/sipnic_pty_top_*.v)
// behind a pseudo-terminal, so the host reaches it through a serial port exactly as the board.
//
//   sipnic-pty-sim [--fault-rate R] [--fault-seed S] [--silence-ms MS] [--phy PORT:MODE[,PORT:MODE]]
//                  [--board --tap0 NAME --tap1 NAME [--baud N]]
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
// Board (--board): the NIC's frame streams go to two TAP devices that this program creates
// (IFF_TAP | IFF_NO_PI; root or CAP_NET_ADMIN; a name that any interface already has is refused):
// a frame read from tapN enters port N's receive stream (s_axis_pN, padded to 60 bytes as a MAC's
// peer would have sent it; longer than MAX_FRAME: cut there and marked bad with tuser, as a MAC
// does, so the NIC counts it in egress.PN_RX_BAD), a frame the NIC sends on port N (m_axis_pN) is
// written to tapN. The TAPs vanish with the process (nobody else holds them). The model clocks
// while frames are in flight (and kFrameTail clocks after the last beat either way; while the
// bridge may be inside a command, at most kFrameBudget clocks after the last bit on the line) and
// sleeps in poll() when both the line and the ports are idle. The line is paced at --baud (default
// 115200) in wall time, each direction on its own: a byte read from the PTY enters the UART
// model when the line would have started carrying it (10 bits per byte, back to back), and a
// byte the bridge sends reaches the PTY when the line would have finished it, no earlier than
// the end of the last byte the bridge had received when it began sending. Silence (--silence-ms)
// is measured on the line: from the end of the last paced byte either way.
//
// Faults: with --fault-rate R each byte in each direction is, with probability R, dropped or
// damaged (xor of a random non-zero mask), half and half, from a generator seeded with
// --fault-seed. SIGUSR2 pauses or resumes the injection. The counts go to stderr as one line on
// exit, on SIGUSR1 and on SIGUSR2:
//   sipnic-pty-sim: faults {"rate":R,"seed":S,"toAdapter":{...},"toHost":{...},"cycles":N,"paused":false}
#include <verilated.h>

#include "Vsipnic_pty_top.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
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
#ifndef PTY_MAX_FRAME
#define PTY_MAX_FRAME 2040
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
constexpr int kKeepBytes = PTY_DATA_WIDTH / 8;
// after the last frame beat in or out, keep clocking this long: a frame inside the NIC (store and
// forward in two FIFOs, the lookup) comes out well within it
constexpr uint64_t kFrameTail = 16384;
// while the bridge may be inside a frame, frames alone may clock the model this long after the last
// bit on the line (half the bridge's silence timeout; see frameClocks)
constexpr uint64_t kFrameBudget = kTimeoutClocks / 2;
// frames waiting to enter one port's receive stream; a frame beyond this is dropped and counted
// (the NIC's rx FIFO is full: on the board the MAC would lose it)
constexpr size_t kPortQueueFrames = 256;
// shortest frame without FCS a MAC sends (a shorter one from a TAP is padded with zeros)
constexpr size_t kMinFrame = 60;

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

// One NIC port tied to a TAP device (--board).
struct Port {
    int fd = -1;
    std::string name;
    // frames from the TAP waiting to enter s_axis_pN; the front one is being sent from byte at
    std::deque<std::vector<uint8_t>> in;
    size_t at = 0;
    // the frame m_axis_pN is sending
    std::vector<uint8_t> out;
    uint64_t rxFrames = 0, rxPadded = 0, rxTooLong = 0, rxOverflow = 0, txFrames = 0, txErrors = 0;
};

// whether this namespace has an interface of that name (SIOCGIFINDEX)
bool interfaceExists(const std::string &name) {
    const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0) return false;
    ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    const bool found = ioctl(sock, SIOCGIFINDEX, &ifr) == 0;
    close(sock);
    return found;
}

// Creates TAP device name (IFF_TAP | IFF_NO_PI, non-blocking) and sets it up; exits with a
// message that names the problem when it cannot.
int createTap(const std::string &name) {
    if (name.empty() || name.size() >= IFNAMSIZ || name.find('%') != std::string::npos) {
        fprintf(stderr, "sipnic-pty-sim: TAP name \"%s\" must have 1 to %d characters and no %%\n", name.c_str(), IFNAMSIZ - 1);
        exit(2);
    }
    if (interfaceExists(name)) {
        fprintf(stderr, "sipnic-pty-sim: TAP name %s is in use: an interface of that name exists (ip link del %s, or choose another name)\n",
                name.c_str(), name.c_str());
        exit(3);
    }
    const int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == EACCES || errno == EPERM)
            fprintf(stderr, "sipnic-pty-sim: needs CAP_NET_ADMIN to create TAP devices (run as root): open /dev/net/tun: %s\n", strerror(errno));
        else
            fprintf(stderr, "sipnic-pty-sim: open /dev/net/tun: %s\n", strerror(errno));
        exit(4);
    }
    ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        if (errno == EPERM)
            fprintf(stderr, "sipnic-pty-sim: needs CAP_NET_ADMIN to create TAP devices (run as root): TUNSETIFF %s: %s\n", name.c_str(), strerror(errno));
        else if (errno == EBUSY || errno == EINVAL)
            fprintf(stderr, "sipnic-pty-sim: TAP name %s is in use: TUNSETIFF: %s\n", name.c_str(), strerror(errno));
        else
            fprintf(stderr, "sipnic-pty-sim: TUNSETIFF %s: %s\n", name.c_str(), strerror(errno));
        exit(errno == EPERM ? 4 : 3);
    }
    // up in this namespace (moving it to another namespace takes it down again)
    const int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock >= 0) {
        ifreq up;
        memset(&up, 0, sizeof up);
        strncpy(up.ifr_name, name.c_str(), IFNAMSIZ - 1);
        if (ioctl(sock, SIOCGIFFLAGS, &up) == 0) {
            up.ifr_flags |= IFF_UP;
            ioctl(sock, SIOCSIFFLAGS, &up);
        }
        close(sock);
    }
    return fd;
}

class PtySim {
 public:
    PtySim(double rate, uint64_t seed, double silenceMs = kDefaultSilenceMs, const PhyMode *phys = nullptr, double baud = 0)
        : ctx_(std::make_unique<VerilatedContext>()), faults_(rate, seed), silence_(silenceMs / 1000),
          byteTime_(baud > 0 ? 10.0 / baud : 0) {
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
        // streams idle: no frames in, always ready to take frames out
        top_->s_axis_p0_tvalid = 0;
        top_->s_axis_p1_tvalid = 0;
        top_->s_axis_p0_tuser = 0;
        top_->s_axis_p1_tuser = 0;
        top_->m_axis_p0_tready = 1;
        top_->m_axis_p1_tready = 1;
        top_->clk = 0;
        top_->rst = 1;
        top_->uart_rxd = 1;
        top_->eval();
        for (int i = 0; i < 16; i++) tick();
        top_->rst = 0;
        for (int i = 0; i < 16; i++) tick();
    }
    ~PtySim() { top_->final(); }

    // --board: port 0 <-> tap0, port 1 <-> tap1
    void openTaps(const std::string &tap0, const std::string &tap1) {
        board_ = true;
        ports_[0].name = tap0;
        ports_[1].name = tap1;
        ports_[0].fd = createTap(tap0);
        ports_[1].fd = createTap(tap1);
    }

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
        std::vector<uint8_t> frame(65536);
        while (!g_stop) {
            if (g_toggle) {
                g_toggle = 0;
                faults_.paused = !faults_.paused;
                g_report = 1;
            }
            if (g_report) {
                g_report = 0;
                // the ports first: a reader waiting for the fault line has both then
                if (board_) reportPorts(stderr);
                faults_.report(stderr, cycles_);
            }
            double now = wallSeconds();
            feedDue(now);
            const bool portsBusy = board_ && portsActive() && frameClocks() > 0;
            const bool busy = lineBusy() || portsBusy;
            // the line's silence starts at the end of the last byte on it either way
            const double quietSince = std::max(silentSince, std::max(inLineFree_, outLineFree_));
            const bool silencePending = !busy && in_.empty() && cycles_ - lastActive_ < kSilenceLimit;
            double wake = -1;  // seconds from now; -1: nothing to wait for
            auto waitUntil = [&](double t) {
                const double d = std::max(0.0, t - now);
                if (wake < 0 || d < wake) wake = d;
            };
            if (busy) wake = 0;
            if (!in_.empty()) waitUntil(inLineFree_);
            if (!out_.empty() && out_.front().due > now) waitUntil(out_.front().due);
            if (silencePending) waitUntil(quietSince + silence_);
            pollfd fds[4] = {{master_, 0, 0}, {g_wake[0], POLLIN, 0}, {-1, 0, 0}, {-1, 0, 0}};
            if (in_.size() + uart_.pending() < kInputHigh) fds[0].events |= POLLIN;
            if (!out_.empty() && out_.front().due <= now) fds[0].events |= POLLOUT;
            if (fds[0].events == 0 && wake < 0) wake = 0.002;
            int nfds = 2;
            if (board_) {
                for (int p = 0; p < 2; p++) fds[2 + p] = {ports_[p].fd, static_cast<short>(POLLIN), 0};
                nfds = 4;
            }
            timespec ts;
            timespec *tsp = nullptr;
            if (wake >= 0) {
                ts.tv_sec = static_cast<time_t>(wake);
                ts.tv_nsec = static_cast<long>((wake - ts.tv_sec) * 1e9);
                tsp = &ts;
            }
            int n = ppoll(fds, nfds, tsp, nullptr);
            if (n < 0 && errno != EINTR) die("poll");
            if (n > 0 && (fds[1].revents & POLLIN)) {
                char drain[16];
                while (read(g_wake[0], drain, sizeof drain) > 0) {
                }
            }
            now = wallSeconds();
            if (silencePending && now - quietSince >= silence_) {
                // silent for silence_: for the bridge that is its whole timeout (before any new byte)
                const uint64_t target = lastActive_ + kSilenceLimit;
                while (cycles_ < target && !g_stop) tick();
            }
            if (n > 0 && (fds[0].revents & POLLIN)) {
                ssize_t got = read(master_, buf.data(), buf.size());
                if (got > 0) {
                    for (ssize_t i = 0; i < got; i++) {
                        uint8_t b = buf[i];
                        if (faults_.pass(faults_.toAdapter, b)) in_.push_back({b, now});
                    }
                } else if (got < 0 && errno != EAGAIN && errno != EINTR && errno != EIO) {
                    die("read");
                }
            }
            if (board_) {
                for (int p = 0; p < 2; p++)
                    if (n > 0 && (fds[2 + p].revents & POLLIN)) readTap(ports_[p], frame);
            }
            feedDue(wallSeconds());
            if (lineBusy()) {
                // a few byte times per round, then look at the PTY and the TAPs again
                for (int i = 0; i < kRoundClocks; i++) tick();
                silentSince = wallSeconds();
            } else if (board_ && portsActive()) {
                // frames alone: as many clocks as the bridge can take without its timeout
                const uint64_t n = std::min<uint64_t>(kRoundClocks, frameClocks());
                for (uint64_t i = 0; i < n; i++) tick();
                if (n) silentSince = wallSeconds();
            }
            flushOut();
        }
        if (board_) reportPorts(stderr);
        faults_.report(stderr, cycles_);
        return 0;
    }

 private:
    struct Timed {
        uint8_t b;
        double due;  // input: when it was read; output: when the line has finished it
    };

    // input bytes whose turn on the line has come go to the UART model (all of them unpaced)
    void feedDue(double now) {
        while (!in_.empty()) {
            if (byteTime_ > 0) {
                if (now < inLineFree_) break;
                // the line starts the byte when it arrived or when the previous one ended
                const double start = std::max(in_.front().due, inLineFree_);
                inLineFree_ = start + byteTime_;
            }
            uart_.send(in_.front().b);
            in_.pop_front();
        }
    }

    // the UART is moving bits or has just done so (the bridge answers within the tail)
    bool lineBusy() const { return !uart_.quiet() || cycles_ - lastActive_ < kActiveTail; }

    // Clocks the frames may run now without the line. The bridge may be inside a frame until the
    // silence rule has clocked it through its timeout (kSilenceLimit after the last line activity);
    // until then frames get at most kFrameBudget clocks after the last bit on the line, so that a
    // frame's clocks never add up to the bridge's timeout between two bytes of one command (at a
    // low --baud a byte takes longer in wall time than the timeout takes at the model's speed).
    uint64_t frameClocks() const {
        const uint64_t since = cycles_ - lastActive_;
        if (since >= kSilenceLimit) return UINT64_MAX;
        return since < kFrameBudget ? kFrameBudget - since : 0;
    }

    bool portsActive() const {
        for (const Port &p : ports_)
            if (!p.in.empty() || !p.out.empty()) return true;
        return top_->m_axis_p0_tvalid || top_->m_axis_p1_tvalid || cycles_ - lastFrameBeat_ < kFrameTail;
    }

    void readTap(Port &p, std::vector<uint8_t> &frame) {
        for (int k = 0; k < 64; k++) {
            const ssize_t got = read(p.fd, frame.data(), frame.size());
            if (got < 0) {
                if (errno != EAGAIN && errno != EINTR) die(("read " + p.name).c_str());
                return;
            }
            if (got == 0) return;
            p.rxFrames++;
            if (p.in.size() >= kPortQueueFrames) {
                p.rxOverflow++;
                continue;
            }
            std::vector<uint8_t> f(frame.begin(), frame.begin() + got);
            if (f.size() < kMinFrame) {
                f.resize(kMinFrame, 0);
                p.rxPadded++;
            }
            if (f.size() > PTY_MAX_FRAME) p.rxTooLong++;
            p.in.push_back(std::move(f));
        }
    }

    // the stream inputs of one port for this clock; true when a beat is offered
    template <typename D, typename K, typename U>
    bool drive(Port &p, D &tdata, K &tkeep, U &tvalid, U &tlast, U &tuser) {
        if (p.in.empty()) {
            tvalid = 0;
            return false;
        }
        const std::vector<uint8_t> &f = p.in.front();
        // a frame longer than MAX_FRAME is cut there and marked bad on its last beat (a MAC's rx error)
        const size_t len = std::min<size_t>(f.size(), PTY_MAX_FRAME);
        uint64_t word = 0;
        int keep = 0;
        for (int i = 0; i < kKeepBytes && p.at + i < len; i++) {
            word |= static_cast<uint64_t>(f[p.at + i]) << (8 * i);
            keep |= 1 << i;
        }
        tdata = static_cast<D>(word);
        tkeep = static_cast<K>(keep);
        tvalid = 1;
        tlast = p.at + kKeepBytes >= len;
        tuser = tlast && f.size() > PTY_MAX_FRAME;
        return true;
    }

    void advance(Port &p) {
        const size_t len = std::min<size_t>(p.in.front().size(), PTY_MAX_FRAME);
        p.at += kKeepBytes;
        if (p.at >= len) {
            p.in.pop_front();
            p.at = 0;
        }
    }

    template <typename D, typename K>
    void collect(Port &p, D tdata, K tkeep, bool tlast, bool tuser) {
        const uint64_t word = tdata;
        for (int i = 0; i < kKeepBytes; i++)
            if ((tkeep >> i) & 1) p.out.push_back(static_cast<uint8_t>(word >> (8 * i)));
        if (!tlast) return;
        if (tuser) {
            p.txErrors++;
        } else if (write(p.fd, p.out.data(), p.out.size()) == static_cast<ssize_t>(p.out.size())) {
            p.txFrames++;
        } else {
            p.txErrors++;
        }
        p.out.clear();
    }

    void reportPorts(FILE *f) const {
        fprintf(f, "sipnic-pty-sim: ports [");
        for (int i = 0; i < 2; i++) {
            const Port &p = ports_[i];
            fprintf(f,
                    "%s{\"port\":%d,\"tap\":\"%s\",\"rxFrames\":%" PRIu64 ",\"rxPadded\":%" PRIu64 ",\"rxTooLong\":%" PRIu64
                    ",\"rxOverflow\":%" PRIu64 ",\"txFrames\":%" PRIu64 ",\"txErrors\":%" PRIu64 "}",
                    i ? "," : "", i, p.name.c_str(), p.rxFrames, p.rxPadded, p.rxTooLong, p.rxOverflow, p.txFrames, p.txErrors);
        }
        fprintf(f, "]\n");
        fflush(f);
    }

    void tick() {
        const uint8_t rxd = uart_.drive();
        top_->uart_rxd = rxd;
        bool s0 = false, s1 = false;
        if (board_) {
            // handshakes of this edge: tready and the m_axis outputs come from registers (last eval)
            s0 = drive(ports_[0], top_->s_axis_p0_tdata, top_->s_axis_p0_tkeep, top_->s_axis_p0_tvalid, top_->s_axis_p0_tlast,
                       top_->s_axis_p0_tuser) && top_->s_axis_p0_tready;
            s1 = drive(ports_[1], top_->s_axis_p1_tdata, top_->s_axis_p1_tkeep, top_->s_axis_p1_tvalid, top_->s_axis_p1_tlast,
                       top_->s_axis_p1_tuser) && top_->s_axis_p1_tready;
            if (top_->m_axis_p0_tvalid) {
                collect(ports_[0], top_->m_axis_p0_tdata, top_->m_axis_p0_tkeep, top_->m_axis_p0_tlast, top_->m_axis_p0_tuser);
                lastFrameBeat_ = cycles_;
            }
            if (top_->m_axis_p1_tvalid) {
                collect(ports_[1], top_->m_axis_p1_tdata, top_->m_axis_p1_tkeep, top_->m_axis_p1_tlast, top_->m_axis_p1_tuser);
                lastFrameBeat_ = cycles_;
            }
        }
        top_->clk = 1;
        top_->eval();
        ctx_->timeInc(1);
        const uint8_t txd = top_->uart_txd;
        const int before = uart_.state;
        uart_.sample(txd);
        // the bridge began a byte: on the line it starts no earlier than the end of what it received
        if (before == 0 && uart_.state != 0) txStartLine_ = inLineFree_;
        top_->clk = 0;
        top_->eval();
        ctx_->timeInc(1);
        cycles_++;
        if (s0) advance(ports_[0]);
        if (s1) advance(ports_[1]);
        if (s0 || s1) lastFrameBeat_ = cycles_;
        if (!rxd || !txd || !uart_.quiet()) lastActive_ = cycles_;
    }

    void flushOut() {
        const double now = wallSeconds();
        for (uint8_t b : uart_.rx) {
            if (!faults_.pass(faults_.toHost, b)) continue;
            double due = now;
            if (byteTime_ > 0) {
                outLineFree_ = std::max(outLineFree_, txStartLine_) + byteTime_;
                due = outLineFree_;
            }
            out_.push_back({b, due});
        }
        uart_.rx.clear();
        while (!out_.empty() && out_.front().due <= now) {
            uint8_t chunk[4096];
            size_t k = 0;
            for (; k < sizeof chunk && k < out_.size() && out_[k].due <= now; k++) chunk[k] = out_[k].b;
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
    double silence_;   // seconds
    double byteTime_;  // seconds per byte on the line (10 bits at --baud); 0: unpaced
    // host bytes not yet on the line (due: when read), bridge bytes not yet at the host (due: line end)
    std::deque<Timed> in_, out_;
    // wall time at which each direction's line is free (the end of its last byte)
    double inLineFree_ = 0, outLineFree_ = 0;
    // inLineFree_ when the bridge began the byte it is sending
    double txStartLine_ = 0;
    uint64_t cycles_ = 0;
    uint64_t lastActive_ = 0;
    uint64_t lastFrameBeat_ = 0;
    bool board_ = false;
    Port ports_[2];
    int master_ = -1, slave_ = -1;
    std::string path_;
};

void usage() {
    fprintf(stderr,
            "usage: sipnic-pty-sim [--fault-rate R (0..1)] [--fault-seed S] [--silence-ms MS (1..1000)]"
            " [--phy PORT:MODE[,PORT:MODE] (PORT 0|1, MODE 1000|100|10[half]|down|absent)]"
            " [--board --tap0 NAME --tap1 NAME [--baud N]] | --clock-rate CLOCKS\n");
    exit(2);
}

}  // namespace

int main(int argc, char **argv) {
    double rate = 0;
    uint64_t seed = 1;
    double silenceMs = kDefaultSilenceMs;
    PhyMode phys[2];
    std::string phyText = "0:1000,1:1000";
    bool board = false;
    std::string taps[2];
    double baud = 0;
    for (int i = 1; i < argc; i++) {
        const std::string a = argv[i];
        if (a == "--board") {
            board = true;
            continue;
        }
        if ((a == "--tap0" || a == "--tap1") && i + 1 < argc) {
            taps[a == "--tap1"] = argv[++i];
            continue;
        }
        if (a == "--baud" && i + 1 < argc) {
            char *end = nullptr;
            const char *v = argv[++i];
            errno = 0;
            baud = strtod(v, &end);
            if (*end || errno || !(baud >= 50 && baud <= 20000000) || baud != static_cast<double>(static_cast<long>(baud))) {
                fprintf(stderr, "sipnic-pty-sim: --baud %s is not a whole number of bits per second in 50..20000000\n", v);
                return 2;
            }
            continue;
        }
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
    if (!board && (!taps[0].empty() || !taps[1].empty() || baud > 0)) {
        fprintf(stderr, "sipnic-pty-sim: --tap0, --tap1 and --baud need --board\n");
        return 2;
    }
    if (board && (taps[0].empty() || taps[1].empty())) {
        fprintf(stderr, "sipnic-pty-sim: --board needs --tap0 NAME and --tap1 NAME (the TAP devices of ports 0 and 1)\n");
        return 2;
    }
    if (board && taps[0] == taps[1]) {
        fprintf(stderr, "sipnic-pty-sim: --tap0 and --tap1 are both %s; each port needs its own TAP\n", taps[0].c_str());
        return 2;
    }
    if (board && baud == 0) baud = 115200;
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

    PtySim sim(rate, seed, silenceMs, phys, baud);
    if (board) sim.openTaps(taps[0], taps[1]);
    sim.openPty();
    // line 1: the path alone; line 2: what it is, as JSON
    std::string boardJson = "\"board\":false";
    if (board) {
        char b[160];
        snprintf(b, sizeof b, "\"board\":true,\"baud\":%.0f,\"maxFrame\":%d,\"taps\":[", baud, PTY_MAX_FRAME);
        boardJson = std::string(b) + "\"" + taps[0] + "\",\"" + taps[1] + "\"]";
    }
    printf("%s\n{\"pty\":\"%s\",\"width\":%d,\"clkHz\":%" PRIu64 ",\"clocksPerBit\":%d,\"timeoutClocks\":%" PRIu64
           ",\"silenceMs\":%g,\"faultRate\":%g,\"faultSeed\":%" PRIu64 ",\"pid\":%d,\"phy\":\"%s\",%s}\n",
           sim.path().c_str(), sim.path().c_str(), PTY_DATA_WIDTH, kClkHz, kCpb, kTimeoutClocks, silenceMs, rate, seed,
           static_cast<int>(getpid()), phyText.c_str(), boardJson.c_str());
    fflush(stdout);
    fprintf(stderr, "sipnic-pty-sim: %s: UART bridge at %d clocks per bit, silence timeout %" PRIu64
                    " clocks (after %g ms of silence on the PTY), fault rate %g, seed %" PRIu64 "\n",
            sim.path().c_str(), kCpb, kTimeoutClocks, silenceMs, rate, seed);
    if (board)
        fprintf(stderr, "sipnic-pty-sim: board: port 0 on TAP %s, port 1 on TAP %s, the line paced at %.0f baud (10 bits per byte)\n",
                taps[0].c_str(), taps[1].c_str(), baud);
    return sim.serve();
}
