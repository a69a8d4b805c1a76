package org.redsession.web;

import java.io.IOException;
import java.util.Set;

import jakarta.inject.Inject;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

import org.redsession.config.SecuritySettings;

/**
 * Adds the browser security headers to every response (pages, static assets and the API, where they are harmless):
 * a strict Content-Security-Policy without {@code 'unsafe-inline'} (the pages have no inline script or style), no
 * framing, no MIME sniffing, no referrer; and HSTS on every response to a request that came over HTTPS ({@link
 * #isHttps}), never on plain HTTP. Static assets ({@code /css/}, {@code /js/}, the icon) are revalidated on
 * every use ({@code Cache-Control: no-cache}) so a redeployed WAR is picked up at once; every answer under
 * {@code /api/} gets {@code Cache-Control: no-store} (they carry a user's data or the CSRF token: ASVS V7 / C38); pages
 * set {@code no-store} themselves ({@link PageFilter}).
 *
 * <p>Ordered in {@code web.xml} right after the session filter. The headers are set before the chain runs, so
 * whatever answers later keeps them (an error written with {@code response.reset()} drops them: only JSON errors do).
 */
public class SecurityHeadersFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    /** The policy: only this origin's scripts, styles, images, fonts and fetches; no plugins, frames or base URL. */
    public static final String CONTENT_SECURITY_POLICY = String.join("; ",
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "font-src 'self'",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'");

    @Inject
    transient SecuritySettings settings;

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        if (isHttps(request, settings.trustedProxies())) {
            response.setHeader("Strict-Transport-Security", settings.strictTransportSecurity());
        }
        response.setHeader("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        response.setHeader("X-Content-Type-Options", "nosniff");
        response.setHeader("Referrer-Policy", "no-referrer");
        response.setHeader("X-Frame-Options", "DENY");
        response.setHeader("Cross-Origin-Opener-Policy", "same-origin");
        response.setHeader("Cross-Origin-Resource-Policy", "same-origin");
        response.setHeader("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()");
        String path = PageFilter.pathOf(request);
        if (isStaticAsset(path)) {
            response.setHeader("Cache-Control", "no-cache");
        } else if (path.startsWith("/api/")) {
            // Answers of the API carry a user's data or the CSRF token: never stored by a browser or a shared cache.
            response.setHeader("Cache-Control", "no-store");
        }
        chain.doFilter(request, response);
    }

    /**
     * Whether the browser's connection was HTTPS: this connection is (TLS at Payara), or the peer is a trusted proxy
     * whose {@code X-Forwarded-Proto} says {@code https}. The header from any other peer is ignored.
     */
    static boolean isHttps(HttpServletRequest request, Set<String> trustedProxies) {
        if (request.isSecure()) {
            return true;
        }
        String proto = request.getHeader("X-Forwarded-Proto");
        if (proto == null || !trustedProxies.contains(request.getRemoteAddr())) {
            return false;
        }
        int comma = proto.indexOf(',');
        String first = (comma < 0 ? proto : proto.substring(0, comma)).trim();
        return "https".equalsIgnoreCase(first);
    }

    static boolean isStaticAsset(String path) {
        return path.startsWith("/css/") || path.startsWith("/js/") || path.equals("/favicon.svg");
    }
}
