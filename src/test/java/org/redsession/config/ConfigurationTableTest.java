package org.redsession.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The README's configuration table lists every property the code reads, with its environment variable, and no
 * property the code does not read.
 */
class ConfigurationTableTest {
    private static final Pattern READ = Pattern.compile("s\\.(?:string|duration|integer|bool|enumeration|list|optional|secret)"
            + "\\(\\s*\"([a-z0-9.-]+)\"");
    private static final Pattern ROW = Pattern.compile("^\\| `([a-z0-9.-]+)` \\| `([A-Z0-9_]+)` \\|", Pattern.MULTILINE);

    static Set<String> propertiesInCode() throws IOException {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.list(Path.of("src/main/java/org/redsession/config"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = READ.matcher(Files.readString(f));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        }
        return names;
    }

    @Test
    void everyPropertyInTheCode_isInTheReadmeTable_withItsEnvironmentVariable() throws IOException {
        Set<String> code = propertiesInCode();
        assertTrue(code.size() > 20, () -> "found only " + code);
        String all = Files.readString(Path.of("README.md"));
        // Only the configuration section: other tables (e.g. the load test's properties) look alike.
        int start = all.indexOf("\n## Configuration");
        assertTrue(start >= 0, "README has a Configuration section");
        int end = all.indexOf("\n## ", start + 1);
        String readme = all.substring(start, end < 0 ? all.length() : end);
        Set<String> table = new TreeSet<>();
        Matcher m = ROW.matcher(readme);
        while (m.find()) {
            table.add(m.group(1));
            assertEquals(Settings.envName(m.group(1)), m.group(2), "environment variable of " + m.group(1));
        }
        Set<String> missing = new TreeSet<>(code);
        missing.removeAll(table);
        assertEquals(Set.of(), missing, "properties read by the code but missing from the README table");
        Set<String> stale = new TreeSet<>(table);
        stale.removeAll(code);
        assertEquals(Set.of(), stale, "properties in the README table that the code does not read");
    }

    @Test
    void everyDefaultInMicroprofileConfigProperties_isAPropertyTheCodeReads() throws IOException {
        Set<String> code = propertiesInCode();
        for (String line : Files.readAllLines(Path.of("src/main/resources/META-INF/microprofile-config.properties"))) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            String name = line.substring(0, line.indexOf('=')).trim();
            assertTrue(code.contains(name), name + " has a default but is not read by the code");
        }
    }

    @Test
    void environmentVariableNames_followMicroProfileConfig() {
        assertEquals("SESSION_IDLE_TIMEOUT", Settings.envName("session.idle-timeout"));
        assertEquals("SESSION_SECRETS_FILE", Settings.envName("session.secrets.file"));
        assertFalse(Settings.envName("redis.url").contains("."));
    }
}
