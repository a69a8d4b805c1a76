package org.redsession.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.StringReader;

import jakarta.json.Json;
import jakarta.json.JsonObject;

import org.junit.jupiter.api.Test;

/** The audit event's stored and logged forms, networks and User-Agent families (pure logic). */
class AuditEventTest {

    @Test
    void theStoredForm_readsBackTheSameEvent_andEscapesWhatItHolds() {
        AuditEvent e = new AuditEvent(1_795_000_000_123L, AuditEvent.REVOKED, "alice", "QadLwkQiFqwW0ehR",
                "198.51.100.0/24", "Firefox on Linux", "revoked", "ro\"ot\\", "1234@host", true);
        assertEquals(e, AuditEvent.fromStored(e.toStored(), "alice"));
        AuditEvent bare = AuditEvent.of(5, AuditEvent.ALL_REVOKED, "bob", null, null, null);
        assertEquals(bare, AuditEvent.fromStored(bare.toStored(), "bob"));
        assertFalse(bare.toStored().contains("\"h\""), "absent fields take no room: " + bare.toStored());
        assertFalse(e.toStored().contains("alice"), "the trail's key names the user");
        for (String damaged : new String[] {"", "{", "[]", "{\"e\":\"signin\"}", "{\"t\":\"x\",\"e\":\"signin\"}",
            "{\"t\":1.5,\"e\":\"signin\"}", "{\"t\":1,\"e\":7}"}) {
            assertNull(AuditEvent.fromStored(damaged, "alice"), damaged);
        }
    }

    @Test
    void theDeviceText_isExactlyWhatTheStoredFormHoldsForTheNetworkAndAgent() {
        AuditEvent signIn = AuditEvent.of(1, AuditEvent.SIGN_IN, "alice", "h", null, null)
                .from("203.0.113.9", "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
                        + "Chrome/131.0 Safari/537.36 Edg/131.0");
        assertTrue(signIn.toStored().contains(signIn.deviceText()), signIn.toStored());
        assertEquals("\"n\":\"203.0.113.0/24\",\"a\":\"Edge on Windows\"", signIn.deviceText());
        assertNull(AuditEvent.of(1, AuditEvent.SIGN_IN, "alice", "h", null, null).from(null, "curl/8").deviceText());
        assertTrue(signIn.asNewDevice().toStored().endsWith(",\"new\":true}"));
    }

    @Test
    void theLogLine_isOneJsonObjectWithEveryField() {
        AuditEvent e = new AuditEvent(7, AuditEvent.SIGN_IN, "alice", "H", "198.51.100.0/24", "Safari on iOS", null,
                null, "1@h", true);
        String line = e.toLogLine();
        assertFalse(line.contains("\n"));
        JsonObject o = Json.createReader(new StringReader(line)).readObject();
        assertEquals("signin", o.getString("audit"));
        assertEquals("alice", o.getString("user"));
        assertEquals("H", o.getString("session"));
        assertTrue(o.getBoolean("newDevice"));
        assertEquals(7, o.getJsonNumber("time").longValue());
    }

    @Test
    void networks_areTheIpv4Slash24OrIpv6Slash64_andNothingElse() {
        assertEquals("198.51.100.0/24", AuditEvent.networkOf("198.51.100.77"));
        assertEquals("2001:db8:1:2::/64", AuditEvent.networkOf("2001:db8:1:2:aaaa:bbbb:cccc:dddd"));
        assertEquals("2001:db8:0:0::/64", AuditEvent.networkOf("2001:db8::1"));
        assertEquals("192.0.2.0/24", AuditEvent.networkOf("::ffff:192.0.2.1"));
        assertNull(AuditEvent.networkOf(null));
        assertNull(AuditEvent.networkOf("unknown"));
        assertNull(AuditEvent.networkOf("example.org")); // never a DNS lookup
    }

    @Test
    void userAgentFamilies_ignoreVersions_andTellBrowsersAndSystemsApart() {
        assertEquals("Firefox on Linux", UserAgents.family("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"));
        assertEquals("Firefox on Linux", UserAgents.family("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"));
        assertEquals("Chrome on macOS", UserAgents.family("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
                + "(KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"));
        assertEquals("Safari on macOS", UserAgents.family("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
                + "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"));
        assertEquals("Chrome on Android", UserAgents.family("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
                + "(KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36"));
        assertEquals("Chrome on iOS", UserAgents.family("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
                + "AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0 Mobile/15E148 Safari/604.1"));
        assertEquals("curl", UserAgents.family("curl/8.5.0"));
        assertEquals("Java", UserAgents.family("Java-http-client/25"));
        assertEquals("Other", UserAgents.family("something"));
        assertNull(UserAgents.family(" "));
    }
}
