package org.redsession.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.eclipse.microprofile.config.Config;

/**
 * Typed, validated reads of MicroProfile Config properties for the settings beans of this package; every
 * failure names the property and what it accepts. Only the settings beans use it.
 */
final class Settings {
    private final Config config;

    Settings(Config config) {
        this.config = config;
    }

    /** The environment variable MicroProfile Config maps to a property name. */
    static String envName(String property) {
        return property.replaceAll("[^A-Za-z0-9]", "_").toUpperCase(Locale.ROOT);
    }

    Optional<String> optional(String name) {
        return config.getOptionalValue(name, String.class).map(String::trim).filter(s -> !s.isEmpty());
    }

    String string(String name, String defaultValue) {
        return optional(name).orElse(defaultValue);
    }

    /**
     * A secret: the property itself, or the content of the file named by {@code <name>.file} (environment
     * variable {@code <NAME>_FILE}), as Docker and Kubernetes secrets provide them.
     */
    Optional<String> secret(String name) {
        Optional<String> direct = optional(name);
        Optional<String> file = optional(name + ".file");
        if (direct.isPresent() && file.isPresent()) {
            throw new InvalidConfigurationException(name, "set either the value or " + envName(name + ".file") + ", not both");
        }
        if (file.isEmpty()) {
            return direct;
        }
        try {
            String content = Files.readString(Path.of(file.get()), StandardCharsets.UTF_8).trim();
            if (content.isEmpty()) {
                throw new InvalidConfigurationException(name + ".file", "the file " + file.get() + " is empty");
            }
            return Optional.of(content);
        } catch (IOException e) {
            throw new InvalidConfigurationException(name + ".file", "cannot read " + file.get() + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    Duration duration(String name, String defaultValue, Duration min, Duration max) {
        String raw = string(name, defaultValue);
        Duration value;
        try {
            value = Duration.parse(raw);
        } catch (DateTimeParseException e) {
            throw new InvalidConfigurationException(name, "'" + raw + "' is not an ISO-8601 duration such as PT30M or PT8H");
        }
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new InvalidConfigurationException(name, raw + " is outside the accepted range " + min + " to " + max);
        }
        return value;
    }

    int integer(String name, int defaultValue, int min, int max) {
        String raw = string(name, Integer.toString(defaultValue));
        int value;
        try {
            value = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw new InvalidConfigurationException(name, "'" + raw + "' is not a whole number");
        }
        if (value < min || value > max) {
            throw new InvalidConfigurationException(name, value + " is outside the accepted range " + min + " to " + max);
        }
        return value;
    }

    boolean bool(String name, boolean defaultValue) {
        String raw = string(name, Boolean.toString(defaultValue)).toLowerCase(Locale.ROOT);
        return switch (raw) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConfigurationException(name, "'" + raw + "' is not true or false");
        };
    }

    <E extends Enum<E>> E enumeration(String name, String defaultValue, Class<E> type) {
        String raw = string(name, defaultValue);
        for (E candidate : type.getEnumConstants()) {
            if (candidate.name().equalsIgnoreCase(raw)) {
                return candidate;
            }
        }
        throw new InvalidConfigurationException(name, "'" + raw + "' is not one of "
                + Arrays.stream(type.getEnumConstants()).map(e -> e.name().toLowerCase(Locale.ROOT)).toList());
    }

    List<String> list(String name) {
        return optional(name).map(v -> Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList())
                .orElse(List.of());
    }
}
