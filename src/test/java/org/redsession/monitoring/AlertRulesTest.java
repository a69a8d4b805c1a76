package org.redsession.monitoring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * The alert rules of {@code monitoring/prometheus/alerts.yml}, checked and unit-tested by Prometheus' own
 * {@code promtool} against {@code alerts.test.yml} (each rule fires on the series that should fire it, and not on
 * healthy ones). Skipped, saying so, where promtool is not installed ({@code .ci/run} installs it).
 */
class AlertRulesTest {
    private static final Path DIR = Path.of("monitoring", "prometheus");

    @Test
    void promtool_checksTheRulesAndTheConfiguration_andEveryUnitTestPasses() throws Exception {
        assumeTrue(onPath("promtool"), "promtool is not installed (Debian: apt-get install prometheus): alert rules not tested");
        Result check = promtool("check", "rules", "alerts.yml");
        assertEquals(0, check.exit(), check.output());
        Result config = promtool("check", "config", "prometheus.yml");
        assertEquals(0, config.exit(), config.output());
        Result test = promtool("test", "rules", "alerts.test.yml");
        assertEquals(0, test.exit(), test.output());
        assertTrue(test.output().contains("SUCCESS"), test.output());
    }

    @Test
    void everyAlert_isFiredByAtLeastOneUnitTest_andEveryTestedAlertExists() throws IOException {
        Set<String> rules = names(Files.readString(DIR.resolve("alerts.yml")), "-\\s*alert:\\s*([A-Za-z0-9_]+)");
        Set<String> tested = names(Files.readString(DIR.resolve("alerts.test.yml")), "alertname:\\s*([A-Za-z0-9_]+)");
        assertTrue(rules.size() >= 10, "the rules: " + rules);
        assertEquals(rules, tested, "every alert rule has unit tests, and every tested alert is a rule");
        Set<String> neverFired = new TreeSet<>(rules);
        neverFired.removeAll(firing(Files.readString(DIR.resolve("alerts.test.yml"))));
        assertEquals(Set.of(), neverFired, "alerts no unit test shows firing");
    }

    /** Alert names of the test cases that expect at least one alert (exp_alerts not empty). */
    private static Set<String> firing(String tests) {
        Set<String> out = new TreeSet<>();
        // A case: "- eval_time: ...\n  alertname: X\n  exp_alerts: []" (quiet) or with "exp_alerts:\n - exp_labels:" (fires).
        for (String testCase : tests.split("(?m)^\\s*-\\s*eval_time:")) {
            Matcher name = Pattern.compile("alertname:\\s*([A-Za-z0-9_]+)").matcher(testCase);
            if (name.find() && Pattern.compile("exp_alerts:\\s*\\n\\s*-").matcher(testCase).find()) {
                out.add(name.group(1));
            }
        }
        return out;
    }

    private static Set<String> names(String text, String regex) {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile(regex).matcher(text);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private record Result(int exit, String output) {
    }

    private static Result promtool(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).directory(DIR.toFile()).redirectErrorStream(true).start();
        byte[] out = process.getInputStream().readAllBytes();
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "promtool finished within 60 s");
        return new Result(process.exitValue(), String.join(" ", command) + ":\n" + new String(out, StandardCharsets.UTF_8));
    }

    private static boolean onPath(String program) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .anyMatch(dir -> Files.isExecutable(Path.of(dir, program)));
    }
}
