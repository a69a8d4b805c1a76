package org.redsession.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.redsession.api.error.ApiException;
import org.redsession.session.AuditEvent;

/** Paging an audit trail (pure logic): every event on exactly one page, even with events of the same millisecond. */
class ActivityTest {

    private static List<AuditEvent> trail(long... times) {
        List<AuditEvent> events = new ArrayList<>();
        for (int i = 0; i < times.length; i++) {
            events.add(AuditEvent.of(times[i], AuditEvent.SIGN_IN, "alice", "h" + i, null, null));
        }
        return events;
    }

    private static List<String> allPages(List<AuditEvent> events, int limit) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            Activity.Page page = Activity.page(events, Integer.toString(limit), cursor, null, false);
            assertTrue(page.events().size() <= limit);
            page.events().forEach(e -> seen.add(e.session()));
            cursor = page.next();
            pages++;
        } while (cursor != null && pages < 100);
        return seen;
    }

    @Test
    void everyEventIsOnExactlyOnePage_newestFirst_whateverTheLimit_evenWithTies() {
        List<AuditEvent> events = trail(90, 80, 80, 80, 70, 70, 60, 50, 50, 50, 50, 40);
        List<String> expected = events.stream().map(AuditEvent::handle).toList();
        for (int limit = 1; limit <= 13; limit++) {
            assertEquals(expected, allPages(events, limit), "limit " + limit);
        }
    }

    @Test
    void newEventsAddedBetweenPages_neitherRepeatNorHideOlderOnes() {
        List<AuditEvent> events = new ArrayList<>(trail(50, 40, 40, 30, 20));
        Activity.Page first = Activity.page(events, "2", null, null, false);
        events.add(0, AuditEvent.of(60, AuditEvent.SIGN_OUT, "alice", "newer", null, null)); // arrives meanwhile
        Activity.Page second = Activity.page(events, "10", first.next(), null, false);
        assertEquals(List.of("h0", "h1"), first.events().stream().map(Activity.EventView::session).toList());
        assertEquals(List.of("h2", "h3", "h4"), second.events().stream().map(Activity.EventView::session).toList());
        assertNull(second.next());
    }

    @Test
    void theCurrentSessionIsMarked_andInstancesOnlyInTheAdminsView() {
        List<AuditEvent> events = List.of(new AuditEvent(1, AuditEvent.SIGN_IN, "alice", "mine", null, null, null, null,
                "1@host", false));
        Activity.EventView user = Activity.page(events, "50", null, "mine", false).events().get(0);
        assertTrue(user.current());
        assertNull(user.instance());
        assertEquals("1@host", Activity.page(events, "50", null, "other", true).events().get(0).instance());
    }

    @Test
    void badLimitsAndCursors_are400() {
        List<AuditEvent> events = trail(1, 2);
        for (String limit : new String[] {"0", "201", "x", "-1"}) {
            ApiException e = assertThrows(ApiException.class, () -> Activity.page(events, limit, null, null, false));
            assertEquals(400, e.status());
        }
        for (String cursor : new String[] {"%%", "bm90LWEtY3Vyc29y", "LTE6MA", "MTIzOi0x"}) {
            assertThrows(ApiException.class, () -> Activity.page(events, "5", cursor, null, false), cursor);
        }
    }
}
