package org.redsession.session.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.logging.Logger;

import javax.net.ssl.SSLException;

import jakarta.enterprise.context.ApplicationScoped;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;

import org.redisson.client.NettyHook;

/**
 * Watches the TLS layer of every Redis connection and remembers why the last one failed, so that readiness and the
 * log can name the cause. Needed because with TLS 1.3 a Redis that refuses the client certificate says so only after
 * the client has finished its side of the handshake: the client sees a connection that closes, and its commands time
 * out, with nothing in their errors about TLS. Replaces Redisson's own logging of these failures (a stack trace per
 * connection attempt, several per second) with one warning per distinct cause and minute.
 */
@ApplicationScoped
public class TlsFailureWatch implements NettyHook {
    private static final Logger LOG = Logger.getLogger(TlsFailureWatch.class.getName());
    private static final Duration RECENT = Duration.ofSeconds(60);

    private final Clock clock = Clock.systemUTC();
    private volatile Failure last;
    private volatile Failure logged;

    /** One failed handshake: when, and what it means for the configuration. */
    record Failure(Instant at, String description) {
    }

    @Override
    public void afterBoostrapInitialization(Bootstrap bootstrap) {
        // nothing to change
    }

    @Override
    public void afterChannelInitialization(Channel channel) {
        ChannelHandlerContext tls = channel.pipeline().context(SslHandler.class);
        if (tls != null) {
            channel.pipeline().addAfter(tls.name(), "redsession-tls-watch", new ChannelInboundHandlerAdapter() {
                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    Optional<SSLException> ssl = sslCause(cause);
                    if (ssl.isEmpty()) {
                        ctx.fireExceptionCaught(cause);
                        return;
                    }
                    record(ssl.get());
                    ctx.close();
                }
            });
        }
    }

    /** Why the last TLS handshake with Redis failed, if one failed in the last minute. */
    public Optional<String> recentFailure() {
        Failure f = last;
        return f != null && f.at().isAfter(clock.instant().minus(RECENT)) ? Optional.of(f.description()) : Optional.empty();
    }

    private void record(SSLException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String description = "the TLS handshake failed (" + root.getClass().getSimpleName() + ": " + root.getMessage()
                + "): " + Scripts.tlsHint(root.getClass().getSimpleName() + " " + root.getMessage());
        Failure failure = new Failure(clock.instant(), description);
        last = failure;
        Failure before = logged;
        if (before == null || !before.description().equals(description) || before.at().isBefore(failure.at().minus(RECENT))) {
            logged = failure;
            LOG.warning(() -> "Redis connection: " + description);
        }
    }

    private static Optional<SSLException> sslCause(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SSLException ssl) {
                return Optional.of(ssl);
            }
        }
        return Optional.empty();
    }
}
