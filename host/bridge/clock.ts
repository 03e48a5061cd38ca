// The time a session and the mock board see, injected: the real clock in production, a manual one in unit tests.

/** An opaque handle returned by setTimeout. */
export type ClockTimer = { readonly __clockTimer: unique symbol };

export interface Clock {
  /** Milliseconds since the epoch (fractional: durations are differences of two now()s). */
  now(): number;
  /** Call `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): ClockTimer;
  /** Cancel a timer; undefined and already-fired timers are ignored. */
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** Date and setTimeout: the wall clock, with sub-millisecond resolution for durations. */
export const realClock: Clock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as ClockTimer,
  clearTimeout: (timer) => clearTimeout(timer as unknown as NodeJS.Timeout | undefined),
};
