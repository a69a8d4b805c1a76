package org.redsession.session.web;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import jakarta.servlet.http.HttpServletResponse;

import org.redsession.config.SessionSettings;
import org.redsession.session.RequestSession;

/**
 * Writes the session cookie: {@code __Host-SID=<value>; Path=/; Secure; HttpOnly; SameSite=Lax} by default, no
 * Domain and no Max-Age (a browser-session cookie). A response that sets or clears it also gets
 * {@code Cache-Control: no-store}.
 */
@ApplicationScoped
public class SessionCookieWriter {

    @Inject
    SessionSettings settings;

    void apply(HttpServletResponse response, RequestSession.CookieChange change) {
        String header = switch (change) {
            case RequestSession.CookieChange.Set set -> settings.cookieName() + "=" + set.value() + attributes();
            case RequestSession.CookieChange.Clear clear -> settings.cookieName() + "=; Max-Age=0; "
                    + "Expires=Thu, 01 Jan 1970 00:00:00 GMT" + attributes();
            case RequestSession.CookieChange.None none -> null;
        };
        if (header != null) {
            response.addHeader("Set-Cookie", header);
            response.setHeader("Cache-Control", "no-store");
        }
    }

    private String attributes() {
        return "; Path=/" + (settings.cookieSecure() ? "; Secure" : "") + "; HttpOnly; SameSite="
                + settings.cookieSameSite().attribute();
    }
}
