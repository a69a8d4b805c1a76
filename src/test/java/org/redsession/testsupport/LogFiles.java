package org.redsession.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/** Reads log files of processes started by the test support, tolerating missing files and broken encodings. */
final class LogFiles {

    private static final Pattern ANSI_ESCAPE = Pattern.compile("\u001B\\[[0-9;]*m");

    private LogFiles() {
    }

    /** The whole file as text, or "" if it does not exist (yet). */
    static String read(Path file) {
        try {
            return Files.exists(file) ? new String(Files.readAllBytes(file), StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "<cannot read " + file + ": " + e + ">";
        }
    }

    /** The last {@code lines} lines of the file (ANSI colours removed), under a header naming the file. */
    static String tail(Path file, int lines) {
        List<String> all = ANSI_ESCAPE.matcher(read(file)).replaceAll("").lines().toList();
        List<String> last = all.subList(Math.max(0, all.size() - lines), all.size());
        return "---- last " + last.size() + " lines of " + file + " ----\n" + String.join("\n", last);
    }
}
