package org.redsession.baseline;

import java.io.StringReader;

import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

/** Request bodies as JSON objects; 400 {@code invalid_request} for anything else. */
final class Json {
    private Json() {
    }

    static JsonObject object(String body) {
        try (JsonReader reader = jakarta.json.Json.createReader(new StringReader(body == null ? "" : body))) {
            JsonValue v = reader.readValue();
            if (v.getValueType() == JsonValue.ValueType.OBJECT) {
                return v.asJsonObject();
            }
        } catch (JsonException | IllegalStateException e) {
            // fall through
        }
        throw Sessions.error(400, "invalid_request", "The request body must be a JSON object.");
    }

    static String string(JsonObject o, String name) {
        JsonValue v = o.get(name);
        if (v == null || v.getValueType() != JsonValue.ValueType.STRING) {
            throw Sessions.error(400, "invalid_request", "'" + name + "' is required.");
        }
        return ((JsonString) v).getString();
    }
}
