// The one untyped loading point of the TAP addon (host/native/build/Release/sipnic_tap.node,
// built by scripts/build-tap.mjs from `npm install`; it also carries packet.cpp, typed in
// packet.ts). Everything above this file and packet.ts is typed.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** What one write() of a batch did: frames the kernel took, frames it refused (and the last errno). */
export interface TapWriteResult {
  written: number;
  errors: number;
  errno: number;
}

/** An open TAP device (IFF_TAP | IFF_NO_PI, non-blocking). Closing the fd removes the device. */
export interface Tap {
  readonly fd: number;
  /** The interface name the kernel gave it (a `%d` in the requested name is filled in). */
  readonly name: string;
  /** One write(2) per frame: data holds the frames back to back, lengths their sizes. */
  write(data: Uint8Array, lengths: Uint32Array): TapWriteResult;
  close(): void;
}

/** Frames read by one poll, in fd order; index[i] is the position in fds of frame i. */
export interface TapPollResult {
  index: Uint16Array;
  lengths: Uint32Array;
  data: Uint8Array;
  /** Per fd: 0, or the errno that fd reported (EIO for POLLERR, EPIPE for POLLHUP, EBADF). */
  errors: Int32Array;
}

/** The addon's exports; packet.cpp's half is typed in packet.ts. */
export interface NativeBinding {
  Tap: new (name: string) => Tap;
  poll(fds: Int32Array, timeoutMs: number, maxPerFd: number): Promise<TapPollResult>;
  PacketSocket: new (name: string, filter?: Uint32Array) => unknown;
  pollPackets(fds: Int32Array, timeoutMs: number, maxPerFd: number): Promise<unknown>;
}

const addonPath = fileURLToPath(new URL('./build/Release/sipnic_tap.node', import.meta.url));
let binding: NativeBinding | undefined;

/** Loads the addon once (tap.cpp and packet.cpp); a clear error when it is not built. */
export function loadNativeAddon(): NativeBinding {
  if (binding) return binding;
  if (!existsSync(addonPath)) throw new Error(`the TAP addon ${addonPath} is not built: run \`node scripts/build-tap.mjs\` (or npm install)`);
  binding = createRequire(import.meta.url)(addonPath) as NativeBinding;
  return binding;
}

/** Opens /dev/net/tun and attaches a TAP named `name` (`sn%d`: the kernel picks the number). Needs CAP_NET_ADMIN. */
export function openTap(name: string): Tap {
  return new (loadNativeAddon().Tap)(name);
}

/**
 * Waits in a worker thread until one of fds is readable (or timeoutMs), then reads up to
 * maxPerFd frames from each readable fd without blocking.
 */
export function pollTaps(fds: Int32Array, timeoutMs: number, maxPerFd = 256): Promise<TapPollResult> {
  return loadNativeAddon().poll(fds, timeoutMs, maxPerFd);
}
