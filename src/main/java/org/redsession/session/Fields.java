package org.redsession.session;

/**
 * Names of the fields of a stored session. Metadata fields start with {@code #}; attribute fields are
 * {@code a:<attribute name>}, so the two can never collide.
 */
public final class Fields {
    /** Creation time, epoch milliseconds. */
    public static final String CREATED = "#c";
    /** Last access written to the store, epoch milliseconds. */
    public static final String LAST_ACCESS = "#a";
    /** Max inactive interval, seconds. */
    public static final String MAX_INACTIVE = "#i";
    /** Absolute deadline, epoch milliseconds. */
    public static final String ABSOLUTE_DEADLINE = "#x";
    /** The session's deadline (idle or absolute, whichever comes first), epoch milliseconds; written by every save. */
    public static final String DEADLINE = "#e";
    /** Signed-in user name. */
    public static final String USER = "#u";
    /** Roles of the signed-in user, comma-separated. */
    public static final String ROLES = "#r";
    /** CSRF token of the session. */
    public static final String CSRF = "#t";
    /** Time of the last sign-in, epoch milliseconds. */
    public static final String AUTH_TIME = "#l";
    /** Client address at sign-in. */
    public static final String IP_ADDRESS = "#ip";
    /** Client User-Agent at sign-in (truncated). */
    public static final String USER_AGENT = "#ua";
    /** Prefix of attribute fields. */
    public static final String ATTRIBUTE_PREFIX = "a:";

    private Fields() {
    }

    public static String attribute(String name) {
        return ATTRIBUTE_PREFIX + name;
    }
}
