import { EventEmitter } from "node:events";
import { describe, expect, it } from "@jest/globals";
import {
  SAME_PRESS_MS,
  type SignalSource,
  type StopSignal,
  watchStopSignals,
} from "../../local/stop-signals.js";

function setup() {
  const emitter = new EventEmitter();
  const source: SignalSource = {
    on: (s, l) => emitter.on(s, l),
    off: (s, l) => emitter.off(s, l),
  };
  let clock = 1_000_000;
  const said: string[] = [];
  let quits = 0;
  const watch = watchStopSignals({
    source,
    say: (line) => said.push(line),
    quitNow: () => {
      quits++;
    },
    now: () => clock,
  });
  return {
    watch,
    said,
    quits: () => quits,
    send: (signal: StopSignal, afterMs = 0) => {
      clock += afterMs;
      emitter.emit(signal);
    },
    listeners: () => emitter.eventNames().length,
  };
}

describe("stop signals: one key press, however many wrappers relay it", () => {
  it("treats the copies of one Ctrl-C relayed by npm and tsx as one press", () => {
    // Act
    const t = setup();
    t.send("SIGINT");
    t.send("SIGINT", 3);
    t.send("SIGINT", 30);

    // Assess
    expect(t.watch.signal.aborted).toBe(true);
    expect(t.quits()).toBe(0);
    expect(t.said).toEqual(["Finishing the messages in hand… (Ctrl-C again to quit at once)"]);
  });

  it("quits at once on a second press a clear second after the first", () => {
    // Act
    const t = setup();
    t.send("SIGINT");
    t.send("SIGINT", SAME_PRESS_MS);

    // Assess
    expect(t.quits()).toBe(1);
    expect(t.said.at(-1)).toContain("Stopping now");
  });

  it("stops the same way on kill (SIGTERM) and on a closed terminal (SIGHUP)", () => {
    for (const signal of ["SIGTERM", "SIGHUP"] as const) {
      // Act
      const t = setup();
      t.send(signal);

      // Assess
      expect(t.watch.signal.aborted).toBe(true);
      expect(t.quits()).toBe(0);
      expect(t.said).toEqual([`Got ${signal}: finishing the messages in hand…`]);
    }
  });

  it("removes its listeners when disposed", () => {
    // Act
    const t = setup();
    t.watch.dispose();

    // Assess
    expect(t.listeners()).toBe(0);
  });
});
