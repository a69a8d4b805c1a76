package org.redsession.api;

import org.redsession.api.error.ApiException;

/** The {@code limit} of the paged lists (users, activity): a whole number from 1 to {@value #MAX}, else 400. */
final class Paging {
    /** Longest page. */
    static final int MAX = 200;

    private Paging() {
    }

    static int limit(String raw) {
        int n;
        try {
            n = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            n = -1;
        }
        if (n < 1 || n > MAX) {
            throw new ApiException(400, "invalid_request", "'limit' must be a whole number from 1 to " + MAX + ".");
        }
        return n;
    }
}
