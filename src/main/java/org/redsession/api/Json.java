package org.redsession.api;

import java.io.StringReader;
import java.util.Optional;

import jakarta.json.JsonException;
import jakarta.json.JsonObject;
import jakarta.json.JsonReader;
import jakarta.json.JsonString;
import jakarta.json.JsonValue;

import org.redsession.api.error.ApiException;

/** Reads request bodies as JSON objects with clear 400 errors for anything malformed. */
final class Json {
    private Json() {
    }

    static JsonObject object(String body) {
        if (body == null || body.isBlank()) {
            throw new ApiException(400, "invalid_request", "The request body must be a JSON object.");
        }
        try (JsonReader reader = jakarta.json.Json.createReader(new StringReader(body))) {
            JsonValue value = reader.readValue();
            if (value.getValueType() != JsonValue.ValueType.OBJECT) {
                throw new ApiException(400, "invalid_request", "The request body must be a JSON object.");
            }
            return value.asJsonObject();
        } catch (JsonException | IllegalStateException e) {
            throw new ApiException(400, "invalid_request", "The request body is not valid JSON.");
        }
    }

    static Optional<String> string(JsonObject o, String name) {
        JsonValue v = o.get(name);
        if (v == null || v.getValueType() == JsonValue.ValueType.NULL) {
            return Optional.empty();
        }
        if (v.getValueType() != JsonValue.ValueType.STRING) {
            throw new ApiException(400, "invalid_request", "'" + name + "' must be a string.");
        }
        return Optional.of(((JsonString) v).getString());
    }

    static String requiredString(JsonObject o, String name) {
        return string(o, name).orElseThrow(() -> new ApiException(400, "invalid_request", "'" + name + "' is required."));
    }
}
