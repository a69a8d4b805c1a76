package org.redsession.session.redis;

import java.util.List;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.context.Initialized;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import org.eclipse.microprofile.metrics.Metadata;
import org.eclipse.microprofile.metrics.MetricRegistry;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redsession.session.SessionStoreUnavailableException;

/**
 * Readiness: DOWN while Redis does not answer within the configured timeout, UP again as soon as it does. When DOWN,
 * its {@code error} says why, naming the setting to check when a TLS handshake or the credentials failed. The same
 * check is the gauge {@code session_store_up} (1 or 0, evaluated when {@code /metrics} is read), for alerting.
 */
@Readiness
@ApplicationScoped
public class RedisReadinessCheck implements HealthCheck {

    @Inject
    RedissonClient redisson;

    @Inject
    TlsFailureWatch tlsFailures;

    @Inject
    MetricRegistry registry;

    void registerGauge(@Observes @Initialized(ApplicationScoped.class) Object ignored) {
        registry.gauge(Metadata.builder().withName("session_store_up")
                .withDescription("1 while this instance reaches Redis within the configured timeout (its readiness), "
                        + "else 0").build(),
                this, check -> check.call().getStatus() == HealthCheckResponse.Status.UP ? 1 : 0);
    }

    @Override
    public HealthCheckResponse call() {
        try {
            Object pong = Scripts.run(redisson, "return 'PONG'", RScript.Mode.READ_ONLY, RScript.ReturnType.VALUE, List.of());
            return HealthCheckResponse.named("redis").status("PONG".equals(pong)).build();
        } catch (SessionStoreUnavailableException e) {
            // A refused client certificate shows only as a closed connection: the watch knows why it closed.
            String error = e.getMessage().contains("TLS") ? e.getMessage()
                    : tlsFailures.recentFailure().map(f -> e.getMessage() + "; " + f).orElse(e.getMessage());
            return HealthCheckResponse.named("redis").down().withData("error", error).build();
        }
    }
}
