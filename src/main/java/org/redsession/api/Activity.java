package org.redsession.api;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import jakarta.json.bind.annotation.JsonbNillable;

import org.redsession.api.error.ApiException;
import org.redsession.session.AuditEvent;

/**
 * Pages of an audit trail as {@code GET /api/me/activity} and {@code GET /api/admin/users/{u}/activity} answer them,
 * newest first, with the same {@code limit} / {@code cursor} / {@code next} convention as the user list. The cursor
 * names a position by time (and how many events of that millisecond were already shown), so events added meanwhile
 * neither repeat nor hide older ones.
 */
final class Activity {
    private Activity() {
    }

    /**
     * One event as the API shows it; {@code session} is the session's opaque handle (as in "my sessions"), never its id.
     * Fields that do not apply to the event (no session, no actor, no reason) are left out of the JSON.
     *
     * @param newDevice a sign-in from a network and browser family not seen in the user's recent sign-ins
     * @param current   the event is about the caller's current session
     * @param instance  the instance that recorded it (only in the admin's view)
     */
    public record EventView(Instant time, String event, String session, String network, String userAgent,
            String reason, String actor, boolean newDevice, boolean current, String instance) {
    }

    /** One page of events and the cursor of the next (null on the last; always present in the JSON). */
    @JsonbNillable
    public record Page(List<EventView> events, String next) {
    }

    static Page page(List<AuditEvent> all, String limit, String cursor, String currentHandle, boolean admin) {
        int n = Paging.limit(limit);
        long before = Long.MAX_VALUE;
        int skip = 0;
        if (cursor != null && !cursor.isEmpty()) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII).split(":");
                before = Long.parseLong(parts[0]);
                skip = Integer.parseInt(parts[1]);
                if (parts.length != 2 || before < 0 || skip < 0) {
                    throw new IllegalArgumentException();
                }
            } catch (IllegalArgumentException | ArrayIndexOutOfBoundsException e) {
                throw new ApiException(400, "invalid_request", "'cursor' is not one this API returned.");
            }
        }
        int skipped = skip;
        List<EventView> events = new ArrayList<>(Math.min(n, all.size()));
        int sameTime = 0;
        long lastTime = -1;
        boolean more = false;
        for (AuditEvent e : all) {
            if (e.time() > before || (e.time() == before && skip-- > 0)) {
                continue; // shown on an earlier page
            }
            if (events.size() == n) {
                more = true;
                break;
            }
            sameTime = e.time() == lastTime ? sameTime + 1 : 1;
            lastTime = e.time();
            events.add(new EventView(Instant.ofEpochMilli(e.time()), e.event(), e.handle(), e.network(), e.agent(),
                    e.reason(), e.actor(), e.newDevice(), e.handle() != null && e.handle().equals(currentHandle),
                    admin ? e.instance() : null));
        }
        String next = null;
        if (more) {
            // How many events of the last shown millisecond are shown so far, earlier pages included.
            int shownAtLast = sameTime + (lastTime == before ? skipped : 0);
            next = Base64.getUrlEncoder().withoutPadding().encodeToString(
                    (lastTime + ":" + shownAtLast).getBytes(StandardCharsets.US_ASCII));
        }
        return new Page(events, next);
    }
}
