package org.redsession.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

import jakarta.annotation.PostConstruct;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import org.eclipse.microprofile.config.Config;

/**
 * How to reach Redis: address, topology, credentials, TLS material, timeouts and the key prefix; read once from
 * MicroProfile Config and validated at start-up (a trust or key store that cannot be read stops the start-up).
 */
@ApplicationScoped
public class RedisSettings {

    /** Redis deployment topologies the application can talk to. */
    public enum Mode { SINGLE, SENTINEL, CLUSTER }

    @Inject
    Config config;

    private URI url;
    private Mode mode;
    private List<String> nodes;
    private String sentinelMaster;
    private Optional<String> username;
    private Optional<String> password;
    private int database;
    private Duration timeout;
    private Duration connectTimeout;
    private int retryAttempts;
    private String keyPrefix;
    private int connectionPoolSize;
    private int nettyThreads;
    private boolean tls;
    private Optional<TrustManagerFactory> trustManagers;
    private Optional<KeyManagerFactory> keyManagers;
    private boolean verifyHostname;

    @PostConstruct
    void read() {
        Settings s = new Settings(config);
        String rawUrl = s.string("redis.url", "redis://127.0.0.1:6379");
        try {
            url = new URI(rawUrl);
        } catch (URISyntaxException e) {
            throw new InvalidConfigurationException("redis.url", "not a URI: " + e.getReason());
        }
        if (!"redis".equals(url.getScheme()) && !"rediss".equals(url.getScheme())) {
            throw new InvalidConfigurationException("redis.url", "the scheme must be redis:// or rediss://");
        }
        if (url.getHost() == null) {
            throw new InvalidConfigurationException("redis.url", "no host in " + url.getScheme() + "://...");
        }
        String userInfo = url.getRawUserInfo();
        Optional<String> urlUser = Optional.empty();
        Optional<String> urlPassword = Optional.empty();
        if (userInfo != null) {
            int colon = userInfo.indexOf(':');
            String user = colon < 0 ? "" : decode(userInfo.substring(0, colon));
            String pass = decode(colon < 0 ? userInfo : userInfo.substring(colon + 1));
            urlUser = user.isEmpty() ? Optional.empty() : Optional.of(user);
            urlPassword = pass.isEmpty() ? Optional.empty() : Optional.of(pass);
        }
        Optional<String> fromUrlUser = urlUser;
        Optional<String> fromUrlPassword = urlPassword;
        username = s.optional("redis.username").or(() -> fromUrlUser);
        password = s.secret("redis.password").or(() -> fromUrlPassword);
        String path = url.getPath();
        database = 0;
        if (path != null && path.length() > 1) {
            try {
                database = Integer.parseInt(path.substring(1));
            } catch (NumberFormatException e) {
                throw new InvalidConfigurationException("redis.url", "the path must be a database number, such as /0");
            }
        }
        mode = s.enumeration("redis.mode", "single", Mode.class);
        nodes = s.list("redis.nodes");
        sentinelMaster = s.string("redis.sentinel.master", "mymaster");
        if (mode != Mode.SINGLE && nodes.isEmpty()) {
            throw new InvalidConfigurationException("redis.nodes",
                    "redis.mode=" + mode.name().toLowerCase() + " needs a comma-separated list of host:port");
        }
        if (mode == Mode.CLUSTER && database != 0) {
            throw new InvalidConfigurationException("redis.url", "Redis Cluster has only database 0");
        }
        timeout = s.duration("redis.timeout", "PT1S", Duration.ofMillis(50), Duration.ofSeconds(30));
        connectTimeout = s.duration("redis.connect-timeout", "PT1S", Duration.ofMillis(50), Duration.ofSeconds(30));
        retryAttempts = s.integer("redis.retry-attempts", 1, 0, 10);
        // Sized from the machine, like the HTTP thread pool (payara-config/payara-micro.sh exports HTTP_THREADS): one
        // connection for every thread that may wait on Redis at once (the HTTP workers and the password-hashing
        // threads), and one Netty event loop per core, since the requests' own threads do the work around the I/O.
        int cores = Runtime.getRuntime().availableProcessors();
        int httpThreads = s.integer("http.threads", 8 * cores, 1, 4096);
        connectionPoolSize = s.integer("redis.pool-size", httpThreads + cores, 1, 4096);
        nettyThreads = s.integer("redis.netty-threads", Math.max(2, cores), 1, 256);
        readTls(s);
        keyPrefix = s.string("redis.key-prefix", "rs:");
        if (!keyPrefix.matches("[A-Za-z0-9:_.-]{1,32}")) {
            throw new InvalidConfigurationException("redis.key-prefix", "use 1 to 32 of A-Z a-z 0-9 : _ . -");
        }
    }

    private void readTls(Settings s) {
        tls = "rediss".equals(url.getScheme()) || nodeAddresses().stream().anyMatch(n -> n.startsWith("rediss://"));
        Optional<String> trustStore = s.optional("redis.tls.trust-store");
        Optional<String> keyStore = s.optional("redis.tls.key-store");
        verifyHostname = s.bool("redis.tls.verify-hostname", true);
        if (!tls) {
            for (String property : new String[] {"redis.tls.trust-store", "redis.tls.key-store"}) {
                if (s.optional(property).isPresent()) {
                    throw new InvalidConfigurationException(property, "applies only to TLS connections: use rediss:// in redis.url");
                }
            }
        }
        trustManagers = trustStore.map(f -> TlsFiles.trustManagers("redis.tls.trust-store", Path.of(f),
                s.secret("redis.tls.trust-store-password")));
        keyManagers = keyStore.map(f -> TlsFiles.keyManagers("redis.tls.key-store", Path.of(f),
                s.secret("redis.tls.key-store-password")));
    }

    private static String decode(String s) {
        return URLDecoder.decode(s, StandardCharsets.UTF_8);
    }

    /** The address with scheme, host and port only (credentials and database are returned separately). */
    public String address() {
        int port = url.getPort() < 0 ? 6379 : url.getPort();
        return url.getScheme() + "://" + url.getHost() + ":" + port;
    }

    public Mode mode() {
        return mode;
    }

    /** Node addresses for sentinel or cluster mode, each with the URL's scheme, e.g. {@code redis://h:26379}. */
    public List<String> nodeAddresses() {
        return nodes.stream().map(n -> n.contains("://") ? n : url.getScheme() + "://" + n).toList();
    }

    public String sentinelMaster() {
        return sentinelMaster;
    }

    public Optional<String> username() {
        return username;
    }

    public Optional<String> password() {
        return password;
    }

    public int database() {
        return database;
    }

    /** How long one Redis command may take before the request fails with 503. */
    public Duration timeout() {
        return timeout;
    }

    public Duration connectTimeout() {
        return connectTimeout;
    }

    public int retryAttempts() {
        return retryAttempts;
    }

    public int connectionPoolSize() {
        return connectionPoolSize;
    }

    /** Netty event-loop threads of the Redis client (default: one per core, at least 2). */
    public int nettyThreads() {
        return nettyThreads;
    }

    /** Whether the connections to Redis use TLS ({@code rediss://}). */
    public boolean tls() {
        return tls;
    }

    /** The CA certificates Redis' certificate must chain to; empty = the JVM's default trust store. */
    public Optional<TrustManagerFactory> trustManagers() {
        return trustManagers;
    }

    /** The client certificate, for a Redis that asks for one ({@code tls-auth-clients yes}). */
    public Optional<KeyManagerFactory> keyManagers() {
        return keyManagers;
    }

    /** Whether Redis' certificate must name the host in the address (otherwise only its chain is checked). */
    public boolean verifyHostname() {
        return verifyHostname;
    }

    /** Prefix of every key the application writes, e.g. {@code rs:}. */
    public String keyPrefix() {
        return keyPrefix;
    }
}
