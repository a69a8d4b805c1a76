package org.redsession.baseline;

import jakarta.ws.rs.ApplicationPath;
import jakarta.ws.rs.core.Application;

/**
 * The benchmark baseline: the product's measured endpoints with the same JSON shapes and CSRF header rules, but the
 * session is Payara's own in-memory container {@code HttpSession} (no Redis). Used only by bench/benchmark.sh.
 */
@ApplicationPath("api")
public class BaselineApplication extends Application {
}
