/** States of a circuit breaker. */
export type BreakerState = 'closed' | 'open' | 'half_open';

/** Number of consecutive failures that opens the breaker. */
export const DEFAULT_FAILURE_THRESHOLD = 3;

/**
 * Time the breaker stays open before it lets one probe through, in ms. Long enough that a
 * dead cache costs nothing for most requests, short enough to notice a failover end.
 */
export const DEFAULT_OPEN_DURATION_MS = 5_000;

/** Options of a circuit breaker. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the breaker. @default DEFAULT_FAILURE_THRESHOLD */
  readonly failureThreshold?: number;
  /** Time the breaker stays open before a probe, in ms. @default DEFAULT_OPEN_DURATION_MS */
  readonly openDurationMs?: number;
  /** Called on every change of state. */
  readonly onStateChange?: (state: BreakerState, previous: BreakerState) => void;
  /** Clock, in ms. @default Date.now */
  readonly now?: () => number;
}

/**
 * Skips calls to a dependency while it is failing, so that a dead cache adds no waiting.
 * After `openDurationMs` one call goes through as a probe: success closes the breaker,
 * failure opens it again.
 *
 * NOTE: written here because the breaker libraries (opossum, cockatiel) wrap the call
 * themselves, while the L2 guard needs to apply its own timeout and fallback around it.
 */
export class CircuitBreaker {
  private currentState: BreakerState = 'closed';
  private consecutiveFailures = 0;
  private openedAtMs = 0;
  private probeInFlight = false;
  private readonly failureThreshold: number;
  private readonly openDurationMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CircuitBreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    this.openDurationMs = options.openDurationMs ?? DEFAULT_OPEN_DURATION_MS;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) {
      throw new RangeError(`failureThreshold must be a whole number of 1 or more, got ${this.failureThreshold}`);
    }
    if (!(this.openDurationMs >= 0)) {
      throw new RangeError(`openDurationMs must be 0 or more, got ${this.openDurationMs}`);
    }
  }

  get state(): BreakerState {
    return this.currentState;
  }

  /** Tells whether a call may go through now. While half open, only one probe is let through. */
  tryAcquire(): boolean {
    if (this.currentState === 'closed') {
      return true;
    }
    if (this.currentState === 'open' && this.now() - this.openedAtMs >= this.openDurationMs) {
      this.transition('half_open');
    }
    if (this.currentState === 'half_open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return true;
    }
    return false;
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.probeInFlight = false;
    if (this.currentState !== 'closed') {
      this.transition('closed');
    }
  }

  recordFailure(): void {
    this.consecutiveFailures += 1;
    this.probeInFlight = false;
    if (this.currentState === 'half_open' || this.consecutiveFailures >= this.failureThreshold) {
      this.openedAtMs = this.now();
      if (this.currentState !== 'open') {
        this.transition('open');
      }
    }
  }

  private transition(state: BreakerState): void {
    const previous = this.currentState;
    this.currentState = state;
    this.options.onStateChange?.(state, previous);
  }
}
