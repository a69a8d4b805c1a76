package org.redsession.web;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Set;
import java.util.regex.Pattern;

import jakarta.servlet.http.HttpServletRequest;

import org.redsession.session.Networks;

/**
 * The client's address: the peer address, or, when the peer is a trusted proxy, the last address in
 * {@code X-Forwarded-For} that is not itself a trusted proxy. A forged header from an untrusted peer is ignored, so
 * it cannot defeat sign-in throttling or the session-creation limit.
 */
public final class ClientAddress {
    private static final int MAX_LENGTH = 64;
    private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

    private ClientAddress() {
    }

    /** The client's address as shown to users ("my sessions"); at most 64 characters. */
    public static String of(HttpServletRequest request, Set<String> trustedProxies) {
        String peer = request.getRemoteAddr();
        if (!trustedProxies.contains(peer)) {
            return peer;
        }
        String forwarded = request.getHeader("X-Forwarded-For");
        if (forwarded == null || forwarded.isBlank()) {
            return peer;
        }
        String[] hops = forwarded.split(",");
        for (int i = hops.length - 1; i >= 0; i--) {
            String hop = hops[i].trim();
            if (!hop.isEmpty() && !trustedProxies.contains(hop)) {
                return hop.length() > MAX_LENGTH ? hop.substring(0, MAX_LENGTH) : hop;
            }
        }
        return peer;
    }

    /**
     * The bucket a client address is counted in by rate limits: an IPv4 address as it is, an IPv6 address by its
     * /64 prefix (one host or household usually holds a whole /64, so counting single IPv6 addresses would let one
     * client rotate through billions of them). Never resolves host names.
     */
    public static String bucket(String address) {
        if (address == null || address.indexOf(':') < 0 || !IPV6_LITERAL.matcher(address).matches()) {
            return address;
        }
        try {
            InetAddress parsed = InetAddress.getByName(address); // a literal: no lookup
            byte[] bytes = parsed.getAddress();
            if (bytes.length != 16) {
                return parsed.getHostAddress(); // an IPv4-mapped address: the IPv4 client it is
            }
            return Networks.ipv6Slash64(bytes);
        } catch (UnknownHostException e) {
            return address;
        }
    }
}
