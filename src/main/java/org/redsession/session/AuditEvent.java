package org.redsession.session;

import java.io.StringReader;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

import jakarta.json.Json;
import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonObjectBuilder;
import jakarta.json.JsonReader;

/**
 * One security event of a user's sessions, as the audit trail keeps it (per user, in the store, bounded in count and
 * age) and as the server log writes it (one JSON line, logger {@code org.redsession.audit}). Never holds a session id:
 * only the session's opaque handle, the one "my sessions" shows.
 *
 * @param time      when it happened (epoch ms)
 * @param event     what happened, one of the {@code EVENT_} names
 * @param username  whose session (the trail it belongs to)
 * @param handle    the session's opaque handle, or null (a failed sign-in, an action on all sessions)
 * @param network   the client's network: an IPv4 /24 or IPv6 /64, or null when unknown
 * @param agent     the client's User-Agent family ("Firefox on Linux"), or null when unknown
 * @param reason    why the session ended (the reason its later requests are told), or null
 * @param actor     who did it when not the user (an administrator's name, "system" for limits and timeouts), or null
 * @param instance  the instance that recorded it
 * @param newDevice for a sign-in: its network and agent family were not seen in the user's recent sign-ins
 */
public record AuditEvent(long time, String event, String username, String handle, String network, String agent,
        String reason, String actor, String instance, boolean newDevice) {

    public static final String SIGN_IN = "signin";
    public static final String SIGN_IN_FAILED = "signin_failed";
    public static final String REAUTHENTICATED = "reauthenticated";
    public static final String SIGN_OUT = "signout";
    public static final String ROTATED = "rotated";
    public static final String REVOKED = "revoked";
    public static final String ALL_REVOKED = "sessions_revoked";
    public static final String EVICTED = "evicted";
    public static final String EXPIRED = "expired";
    public static final String ENDED = "ended";

    /** This JVM, as {@code /api/admin/stats/history} names it. */
    public static final String THIS_INSTANCE = ManagementFactory.getRuntimeMXBean().getName();

    private static final Pattern IPV4 = Pattern.compile("(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})\\.\\d{1,3}");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    /** An event of this instance, now-ish, with no device details. */
    public static AuditEvent of(long time, String event, String username, String handle, String reason, String actor) {
        return new AuditEvent(time, event, username, handle, null, null, reason, actor, THIS_INSTANCE, false);
    }

    /** This event with the client's network (from its address) and User-Agent family (from its User-Agent). */
    public AuditEvent from(String address, String userAgent) {
        return new AuditEvent(time, event, username, handle, networkOf(address), UserAgents.family(userAgent), reason,
                actor, instance, newDevice);
    }

    /** This event for another session handle (the evictions one sign-in causes). */
    public AuditEvent withHandle(String otherHandle) {
        return new AuditEvent(time, event, username, otherHandle, network, agent, reason, actor, instance, newDevice);
    }

    /** This event marked as a sign-in from a new device or network. */
    public AuditEvent asNewDevice() {
        return new AuditEvent(time, event, username, handle, network, agent, reason, actor, instance, true);
    }

    /**
     * The stored form: compact JSON without the user name (the trail's key names it). Keys in a fixed order, so the
     * store can find an earlier sign-in from the same device by the text of {@link #deviceText()}.
     */
    public String toStored() {
        JsonObjectBuilder b = Json.createObjectBuilder().add("t", time).add("e", event);
        addIf(b, "h", handle);
        addIf(b, "n", network);
        addIf(b, "a", agent);
        addIf(b, "r", reason);
        addIf(b, "b", actor);
        addIf(b, "i", instance);
        if (newDevice) {
            b.add("new", true);
        }
        return b.build().toString();
    }

    /**
     * The text every stored sign-in from this event's network and agent family contains (the two fields side by side
     * as {@link #toStored()} writes them), or null when either is unknown.
     */
    public String deviceText() {
        if (network == null || agent == null) {
            return null;
        }
        return "\"n\":" + Json.createValue(network) + ",\"a\":" + Json.createValue(agent);
    }

    /** The server log's line: one JSON object with every field. */
    public String toLogLine() {
        JsonObjectBuilder b = Json.createObjectBuilder().add("audit", event).add("time", time);
        addIf(b, "user", username);
        addIf(b, "session", handle);
        addIf(b, "network", network);
        addIf(b, "agent", agent);
        addIf(b, "reason", reason);
        addIf(b, "actor", actor);
        addIf(b, "instance", instance);
        if (newDevice) {
            b.add("newDevice", true);
        }
        return b.build().toString();
    }

    /** Reads the stored form back; null if it is not one (a damaged entry is skipped, never trusted). */
    public static AuditEvent fromStored(String stored, String username) {
        try (JsonReader r = Json.createReader(new StringReader(stored))) {
            JsonObject o = r.readObject();
            if (!o.containsKey("t") || !o.containsKey("e")) {
                return null;
            }
            return new AuditEvent(o.getJsonNumber("t").longValueExact(), o.getString("e"), username,
                    o.getString("h", null), blankToNull(o.getString("n", null)), blankToNull(o.getString("a", null)),
                    o.getString("r", null), o.getString("b", null), o.getString("i", null), o.getBoolean("new", false));
        } catch (JsonException | ClassCastException | ArithmeticException | IllegalStateException e) {
            return null;
        }
    }

    /**
     * The network a client address belongs to, for telling devices apart without keeping whole addresses in the
     * trail: IPv4 as its /24 ({@code 203.0.113.0/24}), IPv6 as its /64; null for anything else.
     */
    public static String networkOf(String address) {
        if (address == null || address.isEmpty()) {
            return null;
        }
        var v4 = IPV4.matcher(address);
        if (v4.matches()) {
            return v4.group(1) + "." + v4.group(2) + "." + v4.group(3) + ".0/24";
        }
        if (address.indexOf(':') < 0 || !IPV6.matcher(address).matches()) {
            return null;
        }
        try {
            byte[] bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup
            if (bytes.length == 4) {
                return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + ".0/24";
            }
            return Networks.ipv6Slash64(bytes);
        } catch (UnknownHostException e) {
            return null;
        }
    }

    private static void addIf(JsonObjectBuilder b, String key, String value) {
        if (value != null) {
            b.add(key, value);
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isEmpty() ? null : s;
    }
}
