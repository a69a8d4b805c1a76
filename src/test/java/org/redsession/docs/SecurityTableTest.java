package org.redsession.docs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Keeps {@code docs/security.md} true. The file has one table row per session requirement C1..C42, with a status
 * and the tests that prove it as {@code ClassName#methodName}. This test fails when a named test is missing from
 * {@code src/test/java}, which happens when a test is renamed or deleted without updating the table. It also fails
 * when a requirement has no row or more than one, when a row's status is unknown, when a {@code TESTED} row names
 * no test, or when the summary line's counts do not match the rows. The method check is textual: the class's file
 * must hold a line with {@code void methodName(}, and a {@code @Test} annotation must appear within the 3 lines
 * before it.
 */
class SecurityTableTest {
    private static final Path DOC = Path.of("docs/security.md");
    private static final Path TEST_SOURCES = Path.of("src/test/java");
    private static final List<String> STATUSES = List.of("TESTED", "IMPLEMENTED", "MISSING", "N/A");
    private static final Pattern ROW = Pattern.compile("^\\|\\s*(C\\d+)\\s*\\|.*");
    private static final Pattern REFERENCE = Pattern.compile("\\b([A-Z][A-Za-z0-9_]*)#([a-z][A-Za-z0-9_]*)\\b");
    private static final Pattern SUMMARY_COUNT = Pattern.compile("(TESTED|IMPLEMENTED|MISSING|N/A) (\\d+)");
    private static final Pattern TEST_ANNOTATION = Pattern.compile("^\\s*@Test\\b");

    /** One row of the table: | id | requirement | status | how | tests |. */
    record Row(String id, String status, String how, String tests) {
    }

    static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        for (String line : Files.readAllLines(DOC)) {
            if (ROW.matcher(line).matches()) {
                String[] cells = line.split("\\|", -1);
                assertEquals(7, cells.length, () -> "a row must have 5 cells (no '|' inside a cell): " + line);
                rows.add(new Row(cells[1].strip(), cells[3].strip(), cells[4].strip(), cells[5].strip()));
            }
        }
        return rows;
    }

    @Test
    void everyRequirement_C1ToC42_hasExactlyOneRow_withAKnownStatus() throws IOException {
        List<Row> rows = rows();
        Map<String, Long> counts = rows.stream().collect(Collectors.groupingBy(Row::id, TreeMap::new, Collectors.counting()));
        List<String> problems = new ArrayList<>();
        IntStream.rangeClosed(1, 42).mapToObj(i -> "C" + i).filter(id -> !counts.containsKey(id))
                .forEach(id -> problems.add(id + ": no row"));
        counts.forEach((id, n) -> {
            int number = Integer.parseInt(id.substring(1));
            if (number < 1 || number > 42) {
                problems.add(id + ": no such requirement");
            } else if (n > 1) {
                problems.add(id + ": " + n + " rows");
            }
        });
        rows.stream().filter(r -> !STATUSES.contains(r.status()))
                .forEach(r -> problems.add(r.id() + ": status '" + r.status() + "' is not one of " + STATUSES));
        assertEquals(List.of(), problems, "rows of " + DOC);
    }

    @Test
    void everyTestedRow_namesATest() throws IOException {
        List<String> without = rows().stream().filter(r -> r.status().equals("TESTED") && !REFERENCE.matcher(r.tests()).find())
                .map(Row::id).toList();
        assertEquals(List.of(), without, "TESTED rows that name no ClassName#methodName");
    }

    @Test
    void everyNamedTest_isATestMethodInSrcTestJava() throws IOException {
        Map<String, List<Path>> sources;
        try (Stream<Path> files = Files.walk(TEST_SOURCES)) {
            sources = files.filter(p -> p.toString().endsWith(".java"))
                    .collect(Collectors.groupingBy(p -> p.getFileName().toString().replaceFirst("\\.java$", "")));
        }
        List<String> broken = new ArrayList<>();
        for (Row row : rows()) {
            Matcher m = REFERENCE.matcher(String.join(" ", row.how(), row.tests()));
            while (m.find()) {
                String className = m.group(1);
                String method = m.group(2);
                List<Path> files = sources.getOrDefault(className, List.of());
                if (files.isEmpty()) {
                    broken.add(row.id() + ": " + m.group() + " (no " + className + ".java under " + TEST_SOURCES + ")");
                } else if (files.stream().noneMatch(f -> hasTestMethod(f, method))) {
                    broken.add(row.id() + ": " + m.group() + " (no @Test method " + method + " in " + className + ".java)");
                }
            }
        }
        assertEquals(List.of(), broken, "tests named in " + DOC + " that do not exist");
    }

    private static boolean hasTestMethod(Path file, String method) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains("void " + method + "(")) {
                for (int j = Math.max(0, i - 3); j < i; j++) {
                    if (TEST_ANNOTATION.matcher(lines.get(j)).find()) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Test
    void theSummary_countsTheRows() throws IOException {
        String summary = Files.readAllLines(DOC).stream().filter(l -> l.startsWith("**Summary:**")).findFirst().orElse(null);
        assertTrue(summary != null, "a line starting with **Summary:** in " + DOC);
        Map<String, Long> stated = new TreeMap<>();
        Matcher m = SUMMARY_COUNT.matcher(summary);
        while (m.find()) {
            stated.put(m.group(1), Long.parseLong(m.group(2)));
        }
        Map<String, Long> actual = new TreeMap<>(STATUSES.stream().collect(Collectors.toMap(Function.identity(), s -> 0L)));
        rows().forEach(r -> actual.merge(r.status(), 1L, Long::sum));
        assertEquals(actual, stated, "the summary line's counts against the rows: " + summary);
    }
}
