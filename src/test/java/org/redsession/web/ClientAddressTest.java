package org.redsession.web;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The address buckets rate limits count clients in. */
class ClientAddressTest {

    @Test
    void ipv4AndNonAddresses_areTheirOwnBucket() {
        assertEquals("203.0.113.7", ClientAddress.bucket("203.0.113.7"));
        assertEquals("unknown", ClientAddress.bucket("unknown"));
        assertEquals("host.example:80", ClientAddress.bucket("host.example:80"), "never resolved");
        assertEquals(null, ClientAddress.bucket(null));
    }

    @Test
    void ipv6_isCountedByItsSlash64_inAnyNotation() {
        String bucket = ClientAddress.bucket("2001:db8:1:2::1");
        assertEquals("2001:db8:1:2::/64", bucket);
        assertEquals(bucket, ClientAddress.bucket("2001:0db8:0001:0002:ffff:ffff:ffff:fffe"));
        assertEquals(bucket, ClientAddress.bucket("2001:DB8:1:2:0:0:0:abcd"));
        assertEquals("2001:db8:1:3::/64", ClientAddress.bucket("2001:db8:1:3::1"));
        assertEquals("0:0:0:0::/64", ClientAddress.bucket("::1"));
    }

    @Test
    void ipv4MappedIpv6_isTheIpv4Client() {
        assertEquals("192.0.2.1", ClientAddress.bucket("::ffff:192.0.2.1"));
    }
}
