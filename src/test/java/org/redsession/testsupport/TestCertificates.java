package org.redsession.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Certificates made by the {@code openssl} command for one test, in a folder of their own: a CA and certificates it
 * signs (valid for two days, RSA 2048, unencrypted PKCS#8 keys as OpenSSL 3 writes them).
 */
public final class TestCertificates {
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** A new folder under {@code target/it} for the certificates of one test. */
    public static TestCertificates in(String name) {
        try {
            Path base = Path.of(System.getProperty("it.workDir", "target/it")).toAbsolutePath();
            Files.createDirectories(base);
            return new TestCertificates(Files.createTempDirectory(base, "certs-" + name + "-"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public Path dir() {
        return dir;
    }

    /** A self-signed CA: {@code <name>.pem} and {@code <name>.key}; returns the certificate. */
    public Path ca(String name) {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + name + " test CA",
                "-keyout", name + ".key", "-out", name + ".pem");
        return dir.resolve(name + ".pem");
    }

    /**
     * A certificate signed by the CA {@code caName}, for the given subject alternative names (e.g. {@code
     * DNS:localhost}, {@code IP:127.0.0.1}; none for a client): {@code <name>.pem} and {@code <name>.key}.
     */
    public Path signed(String caName, String name, String... altNames) {
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + name, "-keyout", name + ".key",
                "-out", name + ".csr");
        List<String> sign = new ArrayList<>(List.of("x509", "-req", "-in", name + ".csr", "-CA", caName + ".pem",
                "-CAkey", caName + ".key", "-CAcreateserial", "-days", "2", "-out", name + ".pem"));
        if (altNames.length > 0) {
            write(name + ".ext", "subjectAltName=" + String.join(",", altNames) + "\n");
            sign.addAll(List.of("-extfile", name + ".ext"));
        }
        openssl(sign.toArray(String[]::new));
        return dir.resolve(name + ".pem");
    }

    /** The certificate followed by its private key, in one PEM file ({@code <name>-with-key.pem}). */
    public Path withKey(String name) {
        try {
            Path out = dir.resolve(name + "-with-key.pem");
            Files.writeString(out, Files.readString(dir.resolve(name + ".pem")) + Files.readString(dir.resolve(name + ".key")));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The key of {@code name} in OpenSSL's older "traditional" format ({@code BEGIN RSA PRIVATE KEY}). */
    public Path traditionalKey(String name) {
        openssl("pkey", "-in", name + ".key", "-traditional", "-out", name + "-traditional.key");
        return dir.resolve(name + "-traditional.key");
    }

    /** A PKCS#12 file holding {@code name}'s certificate as a trusted entry, under the given password. */
    public Path pkcs12TrustStore(String name, String password) {
        Path out = dir.resolve(name + "-trust.p12");
        run(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(), "-importcert", "-noprompt",
                "-alias", name, "-file", dir.resolve(name + ".pem").toString(), "-keystore", out.toString(),
                "-storetype", "PKCS12", "-storepass", password));
        return out;
    }

    /** Runs {@code openssl} with the arguments, in this folder. */
    public void openssl(String... args) {
        List<String> command = new ArrayList<>();
        command.add("openssl");
        command.addAll(List.of(args));
        run(command);
    }

    private void write(String file, String content) {
        try {
            Files.writeString(dir.resolve(file), content, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
            String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out: " + command);
            }
            if (p.exitValue() != 0) {
                throw new IllegalStateException(command + " exited with " + p.exitValue() + ":\n" + output);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
