package org.redsession.web;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpFilter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;

/**
 * Routes and guards the browser pages. The pages are static HTML kept under {@code /WEB-INF/pages/} (so they cannot
 * be fetched around this filter) and served at:
 * <ul>
 * <li>{@code /}: 303 to {@code /account} when signed in, else to {@code /login};</li>
 * <li>{@code /login}: the sign-in page; a signed-in user goes on to {@code next} (when safe) or {@code /account};</li>
 * <li>{@code /account}: any signed-in user; {@code /admin}: the {@code admin} role (others get a 403 page).</li>
 * </ul>
 * A page request without a valid session is redirected (303) to {@code /login?reason=<why>&next=<path and query>}:
 * {@code reason} is present only when the request's cookie named a session that ended ({@code expired},
 * {@code signedout}, {@code revoked}, {@code evicted}, {@code password_changed}, {@code user_deleted},
 * {@code rotated}, {@code invalid}, else {@code ended}). When the session store is unreachable a 503 page is served instead.
 *
 * <p>Who is signed in comes from the Jakarta Security mechanism, which runs before any filter
 * ({@link HttpServletRequest#getUserPrincipal()}); this filter never touches the session, so a page view alone does
 * not count as activity (the page's script refreshes the session through {@code GET /api/session}). Every page is
 * sent with {@code Cache-Control: no-store}; {@code /account/} and the like are redirected to the page without the
 * slash. Everything that is not a page (API, static assets) passes through.
 */
public class PageFilter extends HttpFilter {
    private static final long serialVersionUID = 1L;

    /** The role needed for {@code /admin}. */
    static final String ADMIN_ROLE = "admin";

    private static final Set<String> PAGES = Set.of("/", "/login", "/account", "/admin");
    private static final Set<String> PASSED_ON_REASONS = Set.of("expired", "revoked", "evicted", "password_changed",
            "user_deleted", "rotated", "invalid");
    private static final int MAX_NEXT_LENGTH = 2048;

    private transient Map<String, byte[]> html;

    @Override
    public void init() throws ServletException {
        html = Map.of(
                "login", load("login"),
                "account", load("account"),
                "admin", load("admin"),
                "forbidden", load("forbidden"),
                "unavailable", load("unavailable"));
    }

    private byte[] load(String name) throws ServletException {
        String resource = "/WEB-INF/pages/" + name + ".html";
        try (InputStream in = getServletContext().getResourceAsStream(resource)) {
            if (in == null) {
                throw new ServletException("Missing page " + resource);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new ServletException("Cannot read " + resource, e);
        }
    }

    @Override
    protected void doFilter(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        String path = pathOf(request);
        if (!PAGES.contains(path)) {
            String trimmed = path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : null;
            if (trimmed != null && PAGES.contains(trimmed)) {
                String query = request.getQueryString();
                redirect(response, query == null ? trimmed : trimmed + "?" + query);
            } else {
                chain.doFilter(request, response);
            }
            return;
        }
        String method = request.getMethod();
        if (!method.equals("GET") && !method.equals("HEAD")) {
            response.setHeader("Allow", "GET, HEAD");
            response.setHeader("Cache-Control", "no-store");
            response.setStatus(HttpServletResponse.SC_METHOD_NOT_ALLOWED);
            response.setContentType("text/plain");
            response.setCharacterEncoding("UTF-8");
            response.getWriter().write("Method not allowed\n");
            return;
        }
        boolean signedIn = request.getUserPrincipal() != null;
        boolean storeDown = Boolean.TRUE.equals(request.getAttribute(RequestAttributes.STORE_UNAVAILABLE));
        switch (path) {
            case "/" -> {
                if (!signedIn && storeDown) {
                    unavailable(request, response);
                } else {
                    redirect(response, signedIn ? "/account" : "/login");
                }
            }
            case "/login" -> {
                if (signedIn) {
                    String next = safeNext(request.getParameter("next"));
                    redirect(response, next != null ? next : "/account");
                } else {
                    page(request, response, HttpServletResponse.SC_OK, "login");
                }
            }
            default -> {
                if (!signedIn) {
                    if (storeDown) {
                        unavailable(request, response);
                    } else {
                        redirect(response, signInLocation(request, path));
                    }
                } else if (path.equals("/admin") && !request.isUserInRole(ADMIN_ROLE)) {
                    page(request, response, HttpServletResponse.SC_FORBIDDEN, "forbidden");
                } else {
                    page(request, response, HttpServletResponse.SC_OK, path.substring(1));
                }
            }
        }
    }

    /** The request path inside the application, not decoded ({@code /} for the context root). */
    static String pathOf(HttpServletRequest request) {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        return path.isEmpty() ? "/" : path;
    }

    /** {@code /login?reason=...&next=...} for a page request that needs a session it does not have. */
    static String signInLocation(HttpServletRequest request, String path) {
        StringBuilder location = new StringBuilder("/login");
        char sep = '?';
        Object ended = request.getAttribute(RequestAttributes.SESSION_ENDED);
        if (ended != null) {
            location.append(sep).append("reason=").append(reasonCode(ended.toString()));
            sep = '&';
        }
        String query = request.getQueryString();
        String next = query == null || query.isEmpty() ? path : path + "?" + query;
        if (safeNext(next) != null) {
            location.append(sep).append("next=").append(URLEncoder.encode(next, StandardCharsets.UTF_8));
        }
        return location.toString();
    }

    /** The sign-in page's name for why a session ended (a short, fixed vocabulary; never free text). */
    static String reasonCode(String endReason) {
        if (endReason.equals("logout")) {
            return "signedout";
        }
        return PASSED_ON_REASONS.contains(endReason) ? endReason : "ended";
    }

    /**
     * {@code next} when it is a safe place to go after signing in: a path on this origin that starts with a single
     * {@code /} (never {@code //host}, {@code /\host} or a scheme; printable ASCII only, as browsers percent-encode
     * the rest) and is not the sign-in page itself; null otherwise.
     */
    public static String safeNext(String next) {
        if (next == null || next.isEmpty() || next.length() > MAX_NEXT_LENGTH || next.charAt(0) != '/') {
            return null;
        }
        if (next.length() > 1 && (next.charAt(1) == '/' || next.charAt(1) == '\\')) {
            return null;
        }
        for (int i = 0; i < next.length(); i++) {
            char c = next.charAt(i);
            if (c <= 0x20 || c >= 0x7f || c == '\\') {
                return null;
            }
        }
        try {
            URI uri = new URI(next);
            if (uri.isAbsolute() || uri.getRawAuthority() != null || uri.getRawPath() == null
                    || !uri.getRawPath().startsWith("/")) {
                return null;
            }
            if (uri.getRawPath().equals("/login")) {
                return null;
            }
        } catch (URISyntaxException e) {
            return null;
        }
        return next;
    }

    private static void redirect(HttpServletResponse response, String location) {
        response.setStatus(HttpServletResponse.SC_SEE_OTHER);
        response.setHeader("Location", location);
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(0);
    }

    private void unavailable(HttpServletRequest request, HttpServletResponse response) throws IOException {
        response.setHeader("Retry-After", "5");
        page(request, response, HttpServletResponse.SC_SERVICE_UNAVAILABLE, "unavailable");
    }

    private void page(HttpServletRequest request, HttpServletResponse response, int status, String name)
            throws IOException {
        byte[] body = html.get(name);
        response.setStatus(status);
        response.setContentType("text/html");
        response.setCharacterEncoding("UTF-8");
        response.setHeader("Cache-Control", "no-store");
        response.setContentLength(body.length);
        if (!request.getMethod().equals("HEAD")) {
            response.getOutputStream().write(body);
        }
    }
}
