package org.redsession.session.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import jakarta.servlet.http.HttpSessionBindingEvent;
import jakarta.servlet.http.HttpSessionBindingListener;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redsession.session.AttributeCodec;
import org.redsession.session.RequestSession;
import org.redsession.session.SessionEvents;
import org.redsession.session.SessionIds;
import org.redsession.session.SessionManager;
import org.redsession.session.SessionPolicy;
import org.redsession.session.SessionStore;

/**
 * The Servlet binding and attribute events of {@link RedisHttpSession} (pure logic: a new session touches no store,
 * which here throws if it is called).
 */
class RedisHttpSessionTest {

    /** A value that records what it was told; its type is not on the codec's allowlist. */
    static final class Binding implements HttpSessionBindingListener {
        final List<String> told = new ArrayList<>();

        @Override
        public void valueBound(HttpSessionBindingEvent event) {
            told.add("bound " + event.getName());
        }

        @Override
        public void valueUnbound(HttpSessionBindingEvent event) {
            told.add("unbound " + event.getName());
        }
    }

    /** Records the attribute events instead of looking listeners up in CDI. */
    static final class RecordingListeners extends SessionListeners {
        final List<String> events = new ArrayList<>();

        @Override
        void attributeAdded(HttpSessionBindingEvent e) {
            events.add("added " + e.getName());
        }

        @Override
        void attributeReplaced(HttpSessionBindingEvent e) {
            events.add("replaced " + e.getName());
        }

        @Override
        void attributeRemoved(HttpSessionBindingEvent e) {
            events.add("removed " + e.getName());
        }
    }

    private RecordingListeners listeners;
    private RedisHttpSession session;

    @BeforeEach
    void newSession() {
        SessionStore noStore = (SessionStore) Proxy.newProxyInstance(SessionStore.class.getClassLoader(),
                new Class<?>[] {SessionStore.class}, (proxy, method, args) -> {
                    throw new UnsupportedOperationException("no store call expected: " + method.getName());
                });
        SessionManager manager = new SessionManager(noStore,
                new SessionIds(List.of("http-session-test-secret-0123456789".getBytes(StandardCharsets.US_ASCII))),
                new AttributeCodec(Map.of()), new SessionPolicy(Duration.ofMinutes(30), Duration.ofHours(8),
                        Duration.ofSeconds(60), 64, 1024),
                new SessionEvents() {
                }, Clock.systemUTC(), "__Host-SID");
        RequestSession request = manager.open(List.of());
        listeners = new RecordingListeners();
        session = new RedisHttpSession(request.getOrCreate(), request, null, listeners);
    }

    @Test
    void aValueTheSessionRefuses_isToldItIsUnboundAgain_andNoAttributeEventFires() {
        Binding refused = new Binding();
        assertThrows(IllegalArgumentException.class, () -> session.setAttribute("cart", refused));
        assertEquals(List.of("bound cart", "unbound cart"), refused.told);
        assertNull(session.getAttribute("cart"));
        assertEquals(List.of(), listeners.events);
    }

    @Test
    void anAcceptedValue_firesItsEventsOnce_andAValueOverTheCapLeavesTheOldOneInPlace() {
        session.setAttribute("note", "first");
        session.setAttribute("note", "second");
        assertThrows(IllegalArgumentException.class, () -> session.setAttribute("note", "x".repeat(100)));
        assertEquals("second", session.getAttribute("note"));
        session.removeAttribute("note");
        assertEquals(List.of("added note", "replaced note", "removed note"), listeners.events);
        assertSame(null, session.getAttribute("note"));
    }
}
