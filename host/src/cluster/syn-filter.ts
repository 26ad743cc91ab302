// The classic BPF program a monitor's packet socket runs in the kernel: only TCP SYNs without
// ACK (connection requests in, connection opens out) reach the monitor, so a busy interface
// costs it nothing. Same as tcpdump's `tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn` for IPv4
// (first fragments only: a later fragment has no TCP header) and IPv6 whose next header is TCP
// (a SYN behind extension headers is not matched; the monitor's /proc poll pins it later).
import type { BpfProgram } from '../../native/packet.js';

// opcodes (linux/filter.h)
const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const LD_B_IND = 0x50;
const LDX_B_MSH = 0xb1;
const JMP_JA = 0x05;
const JMP_JEQ_K = 0x15;
const JMP_JSET_K = 0x45;
const ALU_AND_K = 0x54;
const RET_K = 0x06;

const ETH = 14;
const TCP_FLAGS = 13;
const SYN_ACK_MASK = 0x12;
const SYN = 0x02;

/** Instruction numbers below; a jump's jt/jf count instructions after the next one. */
export const TCP_SYN_FILTER: BpfProgram = [
  /* 0 */ [LD_H_ABS, 0, 0, 12], // EtherType
  /* 1 */ [JMP_JEQ_K, 1, 0, 0x0800], // IPv4 → 3
  /* 2 */ [JMP_JEQ_K, 7, 13, 0x86dd], // IPv6 → 10, else drop (16)
  /* 3 */ [LD_B_ABS, 0, 0, ETH + 9], // IPv4 protocol
  /* 4 */ [JMP_JEQ_K, 0, 11, 6], // TCP, else drop
  /* 5 */ [LD_H_ABS, 0, 0, ETH + 6], // flags and fragment offset
  /* 6 */ [JMP_JSET_K, 9, 0, 0x1fff], // a later fragment: drop
  /* 7 */ [LDX_B_MSH, 0, 0, ETH], // X = IPv4 header length
  /* 8 */ [LD_B_IND, 0, 0, ETH + TCP_FLAGS], // TCP flags
  /* 9 */ [JMP_JA, 0, 0, 3], // → 13
  /* 10 */ [LD_B_ABS, 0, 0, ETH + 6], // IPv6 next header
  /* 11 */ [JMP_JEQ_K, 0, 4, 6], // TCP, else drop
  /* 12 */ [LD_B_ABS, 0, 0, ETH + 40 + TCP_FLAGS], // TCP flags
  /* 13 */ [ALU_AND_K, 0, 0, SYN_ACK_MASK],
  /* 14 */ [JMP_JEQ_K, 0, 1, SYN], // SYN without ACK → accept
  /* 15 */ [RET_K, 0, 0, 0x40000], // accept the whole frame
  /* 16 */ [RET_K, 0, 0, 0], // drop
];
