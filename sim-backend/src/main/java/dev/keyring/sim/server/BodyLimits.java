package dev.keyring.sim.server;

import dev.keyring.protocol.time.Ticker;
import java.time.Duration;

/**
 * How request bodies are bounded on one API (see {@link BodyReader}).
 *
 * @param minDataRate bytes a second a body must arrive at on average, counted from {@code grace}
 *     after the request began
 * @param grace how long a body may take before the rate counts
 * @param drainLimit bytes of a refused body read and thrown away so that the client gets the
 *     answer; beyond it the answer closes the connection
 * @param ticker the clock the rate is measured by
 */
record BodyLimits(long minDataRate, Duration grace, long drainLimit, Ticker ticker) {}
