package org.redsession.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;

/** The storage format of attribute values: what round-trips, what is refused, and that nothing else is created. */
class AttributeCodecTest {

    /** Counts every constructor run and static initialisation of {@link Tripwire}. */
    static final AtomicInteger TRIPWIRE_EVENTS = new AtomicInteger();

    /** A Serializable class that reports when the JVM initialises or instantiates it. */
    static final class Tripwire implements Serializable {
        private static final long serialVersionUID = 1L;

        static {
            TRIPWIRE_EVENTS.incrementAndGet();
        }

        final String payload;

        Tripwire(String payload) {
            TRIPWIRE_EVENTS.incrementAndGet();
            this.payload = payload;
        }

        private void readObject(java.io.ObjectInputStream in) throws IOException, ClassNotFoundException {
            TRIPWIRE_EVENTS.incrementAndGet();
            in.defaultReadObject();
        }
    }

    private final AttributeCodec codec = new AttributeCodec(Map.of());

    private Object roundTrip(Object value) {
        return codec.decode(codec.encode(value));
    }

    // ---- round trips ----------------------------------------------------------------------------------------

    @Test
    void roundTrip_strings_includingEmptyUnicodeAndSeparatorCharacters() {
        for (String s : List.of("", "hello", "ä€😀 中文 \u0000 \n\t", "a|b", "a:b", "|", ":", "s:", "i:42",
                "j:java.util.Date|{}", "x".repeat(10_000))) {
            Object back = roundTrip(s);
            assertInstanceOf(String.class, back);
            assertEquals(s, back);
        }
    }

    @Test
    void roundTrip_integers_stayIntegers() {
        for (int i : new int[] {0, 1, -1, 42, Integer.MAX_VALUE, Integer.MIN_VALUE}) {
            Object back = roundTrip(i);
            assertInstanceOf(Integer.class, back);
            assertEquals(i, back);
        }
    }

    @Test
    void roundTrip_longs_stayLongs() {
        for (long l : new long[] {0L, 7L, -7L, Long.MAX_VALUE, Long.MIN_VALUE, 9_007_199_254_740_993L}) {
            Object back = roundTrip(l);
            assertInstanceOf(Long.class, back);
            assertEquals(l, back);
        }
    }

    @Test
    void roundTrip_doubles_includingSpecialValues() {
        for (double d : new double[] {0.0, -0.0, 3.14159, -1e-300, Double.MAX_VALUE, Double.MIN_VALUE,
                Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 0.1 + 0.2}) {
            Object back = roundTrip(d);
            assertInstanceOf(Double.class, back);
            assertEquals(Double.valueOf(d), back, "value " + d);
        }
    }

    @Test
    void roundTrip_booleans() {
        assertEquals(Boolean.TRUE, roundTrip(true));
        assertEquals(Boolean.FALSE, roundTrip(false));
    }

    @Test
    void encode_usesTheDocumentedTypeTags() {
        assertEquals("s:x", codec.encode("x"));
        assertEquals("i:5", codec.encode(5));
        assertEquals("5", codec.encode(5L));
        assertEquals("-5", codec.encode(-5L));
        assertEquals("d:2.5", codec.encode(2.5));
        assertEquals("b:true", codec.encode(true));
    }

    // ---- refused types --------------------------------------------------------------------------------------

    @Test
    void encode_unlistedTypes_throwIllegalArgumentException() {
        List<Object> values = List.of(new Date(), new HashMap<>(Map.of("k", "v")), new ArrayList<>(List.of(1)),
                new Tripwire("x"), new StringBuilder("mutable"), new AtomicInteger(1), 'c', (short) 1, (byte) 1, 1.5f,
                new java.math.BigDecimal("1.5"), new Object(), new int[] {1});
        for (Object value : values) {
            assertThrows(IllegalArgumentException.class, () -> codec.encode(value), value.getClass().getName());
        }
    }

    @Test
    void encode_classListedUnderAnotherClassesName_isRefused() {
        AttributeCodec lying = new AttributeCodec(Map.of(Date.class.getName(), java.sql.Timestamp.class));
        assertThrows(IllegalArgumentException.class, () -> lying.encode(new Date()));
    }

    // ---- garbage --------------------------------------------------------------------------------------------

    @Test
    void decode_garbage_throwsUnreadableAttributeException() {
        List<String> garbage = List.of("", "x", "s", ":", "z:1", "S:x", "i:notanumber", "i:", "i:1.5",
                "i:99999999999", "l:", "l:12x", "l:5", "99999999999999999999", "-", "12x", " 12", "d:", "d:pi", "b:maybe", "b:", "b:TRUE",
                "j:", "j:java.util.Date", "j:java.util.Date|{}", "j:|{}", "j:java.util.HashMap|{}",
                "j:" + Tripwire.class.getName() + "|{\"payload\":\"x\"}");
        for (String stored : garbage) {
            assertThrows(AttributeCodec.UnreadableAttributeException.class, () -> codec.decode(stored),
                    "decoded '" + stored + "'");
        }
        assertThrows(AttributeCodec.UnreadableAttributeException.class, () -> codec.decode(null));
    }

    @Test
    void decode_aJavaSerializationStream_isRefusedWithoutInstantiatingAnything() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(new Tripwire("payload"));
        }
        String base64 = Base64.getEncoder().encodeToString(bytes.toByteArray());
        assertEquals("rO0AB", base64.substring(0, 5));
        String raw = new String(bytes.toByteArray(), StandardCharsets.ISO_8859_1);
        int before = TRIPWIRE_EVENTS.get();

        for (String stored : List.of(base64, "s" + base64, "j:" + base64, "j:" + Tripwire.class.getName() + "|"
                + base64, raw, "j:" + raw)) {
            Object result;
            try {
                result = codec.decode(stored);
            } catch (AttributeCodec.UnreadableAttributeException refused) {
                continue;
            }
            throw new AssertionError("decoded a serialization stream into " + result.getClass() + ": " + stored);
        }
        assertEquals(before, TRIPWIRE_EVENTS.get(), "a Tripwire was instantiated while decoding");
    }

    @Test
    void decode_namedClassNotAllowed_isNeverInitialisedOrInstantiated() {
        String name = NeverLoaded.class.getName(); // a class literal does not initialise the class
        assertThrows(AttributeCodec.UnreadableAttributeException.class, () -> codec.decode("j:" + name + "|{}"));
        assertThrows(AttributeCodec.UnreadableAttributeException.class, () -> codec.decode("j:" + name + "|null"));
        assertEquals(0, NEVER_LOADED_EVENTS.get(), "an unlisted class was initialised or instantiated");
    }

    @Test
    void decode_stringTagged_isTheTextAfterTheTagVerbatim() {
        assertEquals("j:java.util.Date|{}", codec.decode("s:j:java.util.Date|{}"));
        assertEquals("", codec.decode("s:"));
    }

    static final AtomicInteger NEVER_LOADED_EVENTS = new AtomicInteger();

    /** A class no test ever touches except by its name; initialising or instantiating it is counted. */
    static final class NeverLoaded {
        static {
            NEVER_LOADED_EVENTS.incrementAndGet();
        }

        NeverLoaded() {
            NEVER_LOADED_EVENTS.incrementAndGet();
        }
    }
}
