package org.redsession.session;

import java.util.Locale;

/**
 * A User-Agent's family ("Firefox on Linux", "Safari on iOS", "curl"): what tells a user's devices apart in the audit
 * trail without keeping whole User-Agent strings, whose versions change with every update. Coarse on purpose: a new
 * browser version is not a new device.
 */
public final class UserAgents {
    private UserAgents() {
    }

    /** The family of a User-Agent header, "Other" for one not recognised, null when there is none. */
    public static String family(String userAgent) {
        if (userAgent == null || userAgent.isBlank()) {
            return null;
        }
        String ua = userAgent.toLowerCase(Locale.ROOT);
        String browser = browser(ua);
        String os = os(ua);
        if (os == null) {
            return browser;
        }
        return browser + " on " + os;
    }

    private static String browser(String ua) {
        // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
        if (ua.contains("edg/") || ua.contains("edge/")) {
            return "Edge";
        }
        if (ua.contains("opr/") || ua.contains("opera")) {
            return "Opera";
        }
        if (ua.contains("firefox/") || ua.contains("fxios/")) {
            return "Firefox";
        }
        if (ua.contains("chrome/") || ua.contains("chromium/") || ua.contains("crios/")) {
            return "Chrome";
        }
        if (ua.contains("safari/")) {
            return "Safari";
        }
        if (ua.startsWith("curl/")) {
            return "curl";
        }
        if (ua.startsWith("java") || ua.contains("java-http-client")) {
            return "Java";
        }
        if (ua.contains("python")) {
            return "Python";
        }
        if (ua.startsWith("mozilla/")) {
            return "Browser";
        }
        return "Other";
    }

    private static String os(String ua) {
        if (ua.contains("iphone") || ua.contains("ipad") || ua.contains("ipod")) {
            return "iOS";
        }
        if (ua.contains("android")) {
            return "Android";
        }
        if (ua.contains("windows")) {
            return "Windows";
        }
        if (ua.contains("mac os") || ua.contains("macintosh")) {
            return "macOS";
        }
        if (ua.contains("cros")) {
            return "ChromeOS";
        }
        if (ua.contains("linux") || ua.contains("x11")) {
            return "Linux";
        }
        return null;
    }
}
