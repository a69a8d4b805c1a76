package org.redsession.session;

/** Address prefixes shared by rate limiting (web) and the audit trail (session core). */
public final class Networks {
    private Networks() {
    }

    /**
     * The /64 network of a 16-byte IPv6 address, in the form {@code 2001:db8:1:2::/64} (each group in lower-case hex
     * without leading zeros).
     */
    public static String ipv6Slash64(byte[] ipv6) {
        if (ipv6.length != 16) {
            throw new IllegalArgumentException("not an IPv6 address");
        }
        StringBuilder b = new StringBuilder(24);
        for (int i = 0; i < 8; i += 2) {
            b.append(Integer.toHexString(((ipv6[i] & 0xff) << 8) | (ipv6[i + 1] & 0xff))).append(':');
        }
        return b.append(":/64").toString();
    }
}
