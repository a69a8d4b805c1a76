package org.redsession.session;

import java.util.Map;
import java.util.Objects;

import jakarta.json.bind.Jsonb;
import jakarta.json.bind.JsonbBuilder;

/**
 * The storage format of session attribute values: a two-character type tag, then the value as text.
 *
 * <table>
 * <caption>Formats</caption>
 * <tr><th>Java type</th><th>stored as</th></tr>
 * <tr><td>String</td><td>{@code s:} + the text</td></tr>
 * <tr><td>Long</td><td>the decimal number alone, e.g. {@code 42} (so Redis can increment it exactly with HINCRBY)</td></tr>
 * <tr><td>Integer, Double, Boolean</td><td>{@code i:}, {@code d:}, {@code b:} + decimal or true/false</td></tr>
 * <tr><td>an allowlisted class</td><td>{@code j:} + class name + {@code |} + JSON (JSON-B)</td></tr>
 * </table>
 *
 * <p>No other class is ever written, and no class outside this list is ever instantiated from stored data (there is
 * no Java deserialization at all). Thread-safe.
 */
public final class AttributeCodec {
    private final Map<String, Class<?>> allowed;
    private volatile Jsonb jsonb;

    /** @param allowed classes, by name, that may be stored as JSON */
    public AttributeCodec(Map<String, Class<?>> allowed) {
        this.allowed = Map.copyOf(Objects.requireNonNull(allowed, "allowed"));
    }

    /**
     * Encodes a value.
     *
     * @throws IllegalArgumentException if the value's type may not be stored
     */
    public String encode(Object value) {
        Objects.requireNonNull(value, "value");
        return switch (value) {
            case String s -> "s:" + s;
            case Integer i -> "i:" + i;
            case Long l -> Long.toString(l);
            case Double d -> "d:" + d;
            case Boolean b -> "b:" + b;
            default -> {
                Class<?> type = value.getClass();
                if (allowed.get(type.getName()) != type) {
                    throw new IllegalArgumentException("A " + type.getName() + " cannot be stored in the session: store "
                            + "String, Integer, Long, Double, Boolean or a class listed in session.allowed-types");
                }
                yield "j:" + type.getName() + "|" + jsonb().toJson(value);
            }
        };
    }

    /**
     * Decodes a stored value.
     *
     * @throws UnreadableAttributeException if the value is corrupt or names a type that is not allowed
     */
    public Object decode(String stored) {
        if (stored != null && isLong(stored)) {
            try {
                return Long.valueOf(stored);
            } catch (NumberFormatException e) {
                throw new UnreadableAttributeException("integer out of range");
            }
        }
        if (stored == null || stored.length() < 2 || stored.charAt(1) != ':') {
            throw new UnreadableAttributeException("no type tag");
        }
        String text = stored.substring(2);
        try {
            return switch (stored.charAt(0)) {
                case 's' -> text;
                case 'i' -> Integer.valueOf(text);
                case 'd' -> Double.valueOf(text);
                case 'b' -> switch (text) {
                    case "true" -> Boolean.TRUE;
                    case "false" -> Boolean.FALSE;
                    default -> throw new UnreadableAttributeException("not a boolean");
                };
                case 'j' -> {
                    int bar = text.indexOf('|');
                    Class<?> type = bar < 0 ? null : allowed.get(text.substring(0, bar));
                    if (type == null) {
                        throw new UnreadableAttributeException("type not allowed");
                    }
                    yield jsonb().fromJson(text.substring(bar + 1), type);
                }
                default -> throw new UnreadableAttributeException("unknown type tag");
            };
        } catch (UnreadableAttributeException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new UnreadableAttributeException("corrupt value (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static boolean isLong(String s) {
        int start = s.startsWith("-") ? 1 : 0;
        if (s.length() == start || s.length() > 20) {
            return false;
        }
        for (int i = start; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private Jsonb jsonb() {
        Jsonb j = jsonb;
        if (j == null) {
            synchronized (this) {
                if (jsonb == null) {
                    jsonb = JsonbBuilder.create();
                }
                j = jsonb;
            }
        }
        return j;
    }

    /** A stored attribute value that cannot be turned back into an object; the attribute is left out of the view. */
    public static final class UnreadableAttributeException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UnreadableAttributeException(String reason) {
            super(reason);
        }
    }
}
