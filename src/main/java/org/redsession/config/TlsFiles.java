package org.redsession.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * Reads the TLS material of the Redis connection at start-up, with the JDK only: a trust store (the CA
 * certificates Redis' certificate must chain to) and, when Redis asks for client certificates, a key store. Each is
 * either a PEM file, as {@code redis-server}'s own {@code tls-*-file} settings use them, or a PKCS#12 / JKS store. A
 * file that cannot be used stops the start-up with a message naming the property.
 */
final class TlsFiles {
    private static final Pattern PEM_BLOCK =
            Pattern.compile("-----BEGIN ([A-Z0-9 ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    private static final List<String> KEY_ALGORITHMS = List.of("RSA", "EC", "Ed25519", "Ed448", "RSASSA-PSS");

    private TlsFiles() {
    }

    /** Trust managers from PEM certificates or a key store holding trusted certificates. */
    static TrustManagerFactory trustManagers(String property, Path file, Optional<String> password) {
        byte[] content = read(property, file);
        try {
            KeyStore store;
            if (isPem(content)) {
                List<X509Certificate> certificates = certificates(property, file, pemBlocks(content));
                if (certificates.isEmpty()) {
                    throw new InvalidConfigurationException(property, file + " holds no PEM CERTIFICATE");
                }
                store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                for (int i = 0; i < certificates.size(); i++) {
                    store.setCertificateEntry("ca-" + i, certificates.get(i));
                }
            } else {
                store = keyStore(property, file, password);
                if (store.size() == 0) {
                    throw new InvalidConfigurationException(property, file + " holds no certificate");
                }
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (GeneralSecurityException | IOException e) {
            throw new InvalidConfigurationException(property, "cannot use " + file + " as a trust store: " + reason(e));
        }
    }

    /**
     * Key managers (the client certificate) from a PEM file holding the certificate chain and its unencrypted
     * PKCS#8 private key, or from a PKCS#12 / JKS key store.
     */
    static KeyManagerFactory keyManagers(String property, Path file, Optional<String> password) {
        byte[] content = read(property, file);
        try {
            KeyStore store;
            char[] keyPassword = password.orElse("").toCharArray();
            if (isPem(content)) {
                List<String[]> blocks = pemBlocks(content);
                List<X509Certificate> chain = certificates(property, file, blocks);
                PrivateKey key = privateKey(property, file, blocks);
                if (chain.isEmpty()) {
                    throw new InvalidConfigurationException(property, file
                            + " holds no PEM CERTIFICATE: put the client certificate (and its chain) before the key");
                }
                store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                store.setKeyEntry("client", key, keyPassword, chain.toArray(Certificate[]::new));
            } else {
                store = keyStore(property, file, password);
            }
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, keyPassword);
            return factory;
        } catch (GeneralSecurityException | IOException e) {
            throw new InvalidConfigurationException(property, "cannot use " + file + " as a key store: " + reason(e));
        }
    }

    private static byte[] read(String property, Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new InvalidConfigurationException(property, "cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    private static boolean isPem(byte[] content) {
        return new String(content, StandardCharsets.ISO_8859_1).contains("-----BEGIN ");
    }

    private static KeyStore keyStore(String property, Path file, Optional<String> password)
            throws GeneralSecurityException, IOException {
        // The JDK recognises PKCS#12 and JKS by their content.
        return KeyStore.getInstance(file.toFile(), password.map(String::toCharArray).orElse(null));
    }

    /** The PEM blocks of a file as pairs of label and base64 body. */
    private static List<String[]> pemBlocks(byte[] content) {
        Matcher m = PEM_BLOCK.matcher(new String(content, StandardCharsets.US_ASCII));
        List<String[]> blocks = new ArrayList<>();
        while (m.find()) {
            blocks.add(new String[] {m.group(1), m.group(2).replaceAll("\\s", "")});
        }
        return blocks;
    }

    private static List<X509Certificate> certificates(String property, Path file, List<String[]> blocks)
            throws GeneralSecurityException {
        CertificateFactory factory = CertificateFactory.getInstance("X.509");
        List<X509Certificate> certificates = new ArrayList<>();
        for (String[] block : blocks) {
            if ("CERTIFICATE".equals(block[0])) {
                try (InputStream in = new java.io.ByteArrayInputStream(Base64.getDecoder().decode(block[1]))) {
                    certificates.add((X509Certificate) factory.generateCertificate(in));
                } catch (IOException | IllegalArgumentException e) {
                    throw new InvalidConfigurationException(property, file + " holds a damaged CERTIFICATE block");
                }
            }
        }
        return certificates;
    }

    private static PrivateKey privateKey(String property, Path file, List<String[]> blocks) {
        for (String[] block : blocks) {
            switch (block[0]) {
                case "PRIVATE KEY" -> {
                    byte[] der = Base64.getDecoder().decode(block[1]);
                    for (String algorithm : KEY_ALGORITHMS) {
                        try {
                            return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
                        } catch (GeneralSecurityException tryTheNext) {
                            // not a key of this algorithm
                        }
                    }
                    throw new InvalidConfigurationException(property, file + ": the PRIVATE KEY is of an unknown algorithm");
                }
                case "RSA PRIVATE KEY", "EC PRIVATE KEY", "ENCRYPTED PRIVATE KEY" -> throw new InvalidConfigurationException(
                        property, file + " holds a " + block[0] + "; convert it to an unencrypted PKCS#8 key with "
                                + "'openssl pkcs8 -topk8 -nocrypt -in key.pem', or use a PKCS#12 file");
                default -> {
                    // certificates are read elsewhere
                }
            }
        }
        throw new InvalidConfigurationException(property, file + " holds no PEM PRIVATE KEY after the certificate");
    }

    /** The innermost message, without stack traces. */
    private static String reason(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + (message == null ? "" : " (" + message + ")");
    }
}
