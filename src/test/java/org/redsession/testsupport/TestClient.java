package org.redsession.testsupport;

import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.spi.JsonProvider;

import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * A black-box HTTP client with a manual cookie jar that, unlike {@link java.net.CookieManager}, also sends
 * {@code Secure} cookies (such as {@code __Host-SID}) over plain http.
 */
public final class TestClient {

    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final int BODY_PREVIEW_CHARS = 2_000;

    /** What {@link #withBase} shares: the HTTP client, cookie jar, default headers and last response. */
    private static final class Shared {
        final HttpClient http;
        Shared(HttpClient.Builder builder) {
            http = builder.version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(CONNECT_TIMEOUT)
                    .followRedirects(HttpClient.Redirect.NEVER)
                    .build();
        }
        final Map<String, String> cookies = new LinkedHashMap<>();
        final Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        volatile Res last;
    }

    private final URI base;
    private final Shared shared;

    /** A client for requests relative to {@code base} (e.g. {@code http://127.0.0.1:8080/}) with an empty jar. */
    public TestClient(URI base) {
        this(base, new Shared(HttpClient.newBuilder()));
    }

    /** A client for an {@code https} base that trusts what {@code tls} trusts (e.g. a CA a test generated). */
    public TestClient(URI base, javax.net.ssl.SSLContext tls) {
        this(base, new Shared(HttpClient.newBuilder().sslContext(tls)));
    }

    private TestClient(URI base, Shared shared) {
        String text = base.toString();
        this.base = text.endsWith("/") ? base : URI.create(text + "/");
        this.shared = shared;
    }

    /** A client for another base URI that shares this one's cookie jar, default headers and last response. */
    public TestClient withBase(URI other) {
        return new TestClient(other, shared);
    }

    public URI base() {
        return base;
    }

    public Res get(String path) {
        return send("GET", path, null, null);
    }

    /** POST with an empty body. */
    public Res post(String path) {
        return send("POST", path, null, new byte[0]);
    }

    public Res postJson(String path, String json) {
        return send("POST", path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    }

    public Res postForm(String path, Map<String, String> fields) {
        String form = fields.entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "="
                        + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        return send("POST", path, "application/x-www-form-urlencoded", form.getBytes(StandardCharsets.UTF_8));
    }

    public Res delete(String path) {
        return send("DELETE", path, null, null);
    }

    /**
     * Sends any request. {@code extraHeaders} are name, value pairs that override default headers of the same name;
     * a "Cookie" among them is sent instead of the jar's cookies. Set-Cookie headers of the response always update
     * the jar.
     *
     * @param contentType sent as Content-Type unless null
     * @param body        null for no body
     */
    public Res send(String method, String path, String contentType, byte[] body, String... extraHeaders) {
        if (extraHeaders.length % 2 != 0) {
            throw new IllegalArgumentException("extraHeaders must be name, value pairs");
        }
        URI uri = resolve(path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri)
                .timeout(REQUEST_TIMEOUT)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        synchronized (shared) {
            headers.putAll(shared.headers);
            String jar = shared.cookies.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining("; "));
            if (!jar.isEmpty()) {
                headers.put("Cookie", jar);
            }
        }
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        for (int i = 0; i < extraHeaders.length; i += 2) {
            headers.put(extraHeaders[i], extraHeaders[i + 1]);
        }
        headers.forEach(request::setHeader);

        HttpResponse<String> response;
        try {
            response = shared.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + uri + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during " + method + " " + uri, e);
        }
        Res res = new Res(response.statusCode(), response.headers(), response.body());
        updateJar(res.setCookies());
        shared.last = res;
        return res;
    }

    /** Adds a header sent with every request (shared with {@link #withBase} clients); a null value removes it. */
    public void setHeader(String name, String value) {
        synchronized (shared) {
            if (value == null) {
                shared.headers.remove(name);
            } else {
                shared.headers.put(name, value);
            }
        }
    }

    /** A snapshot of the cookie jar, name to value. */
    public Map<String, String> cookies() {
        synchronized (shared) {
            return Collections.unmodifiableMap(new LinkedHashMap<>(shared.cookies));
        }
    }

    /** Puts a cookie into the jar (a null value removes it). */
    public void setCookie(String name, String value) {
        synchronized (shared) {
            if (value == null) {
                shared.cookies.remove(name);
            } else {
                shared.cookies.put(name, value);
            }
        }
    }

    public void clearCookies() {
        synchronized (shared) {
            shared.cookies.clear();
        }
    }

    /** The last response received by this client or any client sharing its jar, or null. */
    public Res last() {
        return shared.last;
    }

    private URI resolve(String path) {
        String relative = path.startsWith("/") ? path.substring(1) : path;
        return base.resolve(relative);
    }

    private void updateJar(List<String> setCookies) {
        synchronized (shared) {
            for (String header : setCookies) {
                String[] parts = header.split(";");
                int eq = parts[0].indexOf('=');
                if (eq <= 0) {
                    continue;
                }
                String name = parts[0].substring(0, eq).strip();
                String value = parts[0].substring(eq + 1).strip();
                if (isExpired(parts)) {
                    shared.cookies.remove(name);
                } else {
                    shared.cookies.put(name, value);
                }
            }
        }
    }

    /** Max-Age (which wins) of zero or less, or an Expires in the past. */
    private static boolean isExpired(String[] parts) {
        Boolean byExpires = null;
        for (int i = 1; i < parts.length; i++) {
            String attribute = parts[i].strip();
            int eq = attribute.indexOf('=');
            if (eq < 0) {
                continue;
            }
            String key = attribute.substring(0, eq).strip().toLowerCase(Locale.ROOT);
            String value = attribute.substring(eq + 1).strip();
            if (key.equals("max-age")) {
                try {
                    return Long.parseLong(value) <= 0;
                } catch (NumberFormatException ignored) {
                    // an unparsable Max-Age is ignored, as browsers do
                }
            } else if (key.equals("expires")) {
                Instant expires = parseExpires(value);
                if (expires != null) {
                    byExpires = !expires.isAfter(Instant.now());
                }
            }
        }
        return Boolean.TRUE.equals(byExpires);
    }

    /**
     * Parses an Expires date in RFC 1123 form or in the old Netscape form with dashes ("Thu, 01-Jan-1970 00:00:10
     * GMT"), which Payara writes for {@code Cookie.setMaxAge(0)}; null if it is neither.
     */
    private static Instant parseExpires(String value) {
        try {
            return ZonedDateTime.parse(value.replace('-', ' '), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        } catch (DateTimeParseException unparsable) {
            return null;
        }
    }

    /** One HTTP response: status, headers and body text. */
    public record Res(int status, HttpHeaders headers, String body) {

        /** The body parsed as a JSON object. */
        public JsonObject json() {
            try (JsonReader reader = JsonProviders.get().createReader(new StringReader(body))) {
                return reader.readObject();
            } catch (JsonException | ClassCastException e) {
                throw new AssertionError("response body is not a JSON object: " + this, e);
            }
        }

        /** All raw Set-Cookie header values. */
        public List<String> setCookies() {
            return headers.allValues("Set-Cookie");
        }

        /** The first value of a header (name case-insensitive). */
        public Optional<String> header(String name) {
            return headers.firstValue(name);
        }

        @Override
        public String toString() {
            StringBuilder text = new StringBuilder("HTTP ").append(status).append('\n');
            headers.map().forEach((name, values) -> {
                for (String value : values) {
                    text.append(name).append(": ").append(value).append('\n');
                }
            });
            text.append('\n');
            if (body.length() > BODY_PREVIEW_CHARS) {
                text.append(body, 0, BODY_PREVIEW_CHARS)
                        .append("... [").append(body.length() - BODY_PREVIEW_CHARS).append(" more chars]");
            } else {
                text.append(body);
            }
            return text.toString();
        }
    }

    /**
     * Finds the JSON-P implementation: the standard lookup first, then the GlassFish implementation by name, because
     * a JSON-P 2.1 API jar earlier on the class path looks only for Parsson by default.
     */
    private static final class JsonProviders {
        private static volatile JsonProvider provider;

        static JsonProvider get() {
            JsonProvider p = provider;
            if (p == null) {
                try {
                    p = JsonProvider.provider();
                } catch (JsonException notFound) {
                    try {
                        p = (JsonProvider) Class.forName("org.glassfish.json.JsonProviderImpl")
                                .getDeclaredConstructor().newInstance();
                    } catch (ReflectiveOperationException e) {
                        notFound.addSuppressed(e);
                        throw notFound;
                    }
                }
                provider = p;
            }
            return p;
        }
    }
}
