// A frame port for tests of the primary's control plane: queue 0 is claimed and stays quiet; what
// it is asked to deliver is only recorded (the processors it was for).
import type { FrameEvent, FramePort } from '../../host/src/cluster/frame-port.js';

export class NullFramePort implements FramePort {
  readonly delivered: number[] = [];
  async claimQueue() {}
  async watchConnectionRequests() {}
  async watchConnectionOpens() {}
  onFrame(_l: (e: FrameEvent) => void) {}
  async deliver(processor: number) {
    this.delivered.push(processor);
  }
  async transmit() {}
  async close() {}
}
