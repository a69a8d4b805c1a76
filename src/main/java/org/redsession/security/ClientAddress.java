package org.redsession.security;

import java.util.Set;

import jakarta.servlet.http.HttpServletRequest;

/**
 * The client's address: the peer address, or, when the peer is a trusted proxy, the last address in
 * {@code X-Forwarded-For} that is not itself a trusted proxy. A forged header from an untrusted peer is ignored, so
 * it cannot defeat sign-in throttling.
 */
final class ClientAddress {
    private ClientAddress() {
    }

    static String of(HttpServletRequest request, Set<String> trustedProxies) {
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
                return hop.length() > 64 ? hop.substring(0, 64) : hop;
            }
        }
        return peer;
    }
}
