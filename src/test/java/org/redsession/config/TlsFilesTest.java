package org.redsession.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Optional;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;
import javax.net.ssl.X509TrustManager;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.redsession.testsupport.TestCertificates;

/** The trust and key stores of the Redis TLS connection, from files that openssl and keytool made. */
class TlsFilesTest {
    static TestCertificates certs;
    static Path ca;
    static Path client;

    @BeforeAll
    static void makeCertificates() {
        certs = TestCertificates.in("tlsfiles");
        ca = certs.ca("ca");
        client = certs.signed("ca", "client");
    }

    @Test
    void aPemCa_isTrusted() {
        X509TrustManager trust = (X509TrustManager) TlsFiles.trustManagers("p", ca, Optional.empty()).getTrustManagers()[0];
        assertEquals(1, trust.getAcceptedIssuers().length);
        assertTrue(trust.getAcceptedIssuers()[0].getSubjectX500Principal().getName().contains("ca test CA"));
    }

    @Test
    void aPkcs12TrustStore_withItsPassword_isTrusted_andAWrongPassword_namesTheProperty() {
        Path store = certs.pkcs12TrustStore("ca", "store-pass");
        X509TrustManager trust = (X509TrustManager) TlsFiles.trustManagers("p", store, Optional.of("store-pass"))
                .getTrustManagers()[0];
        assertEquals(1, trust.getAcceptedIssuers().length);
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> TlsFiles.trustManagers("redis.tls.trust-store", store, Optional.of("wrong")));
        assertTrue(e.getMessage().startsWith("Invalid configuration: property 'redis.tls.trust-store'"), e.getMessage());
        assertTrue(e.getMessage().contains("cannot use " + store + " as a trust store"), e.getMessage());
    }

    @Test
    void aPemCertificateFollowedByItsKey_isAClientCertificate() {
        KeyManagerFactory keys = TlsFiles.keyManagers("p", certs.withKey("client"), Optional.empty());
        X509KeyManager manager = (X509KeyManager) keys.getKeyManagers()[0];
        String[] aliases = manager.getClientAliases("RSA", null);
        assertEquals(1, aliases.length);
        X509Certificate[] chain = manager.getCertificateChain(aliases[0]);
        assertEquals("CN=client", chain[0].getSubjectX500Principal().getName());
        assertInstanceOf(java.security.interfaces.RSAPrivateKey.class, manager.getPrivateKey(aliases[0]));
    }

    @Test
    void aTraditionalRsaKey_isRefused_sayingHowToConvertIt() throws Exception {
        Path pem = certs.dir().resolve("traditional.pem");
        Files.writeString(pem, Files.readString(client) + Files.readString(certs.traditionalKey("client")));
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> TlsFiles.keyManagers("redis.tls.key-store", pem, Optional.empty()));
        assertTrue(e.getMessage().contains("RSA PRIVATE KEY") && e.getMessage().contains("openssl pkcs8 -topk8 -nocrypt"),
                e.getMessage());
    }

    @Test
    void aCertificateWithoutItsKey_andAKeyWithoutItsCertificate_areRefused() throws Exception {
        InvalidConfigurationException noKey = assertThrows(InvalidConfigurationException.class,
                () -> TlsFiles.keyManagers("redis.tls.key-store", client, Optional.empty()));
        assertTrue(noKey.getMessage().contains("no PEM PRIVATE KEY"), noKey.getMessage());
        InvalidConfigurationException noCertificate = assertThrows(InvalidConfigurationException.class,
                () -> TlsFiles.keyManagers("redis.tls.key-store", certs.dir().resolve("client.key"), Optional.empty()));
        assertTrue(noCertificate.getMessage().contains("no PEM CERTIFICATE"), noCertificate.getMessage());
    }

    @Test
    void aMissingFile_orOneWithoutCertificates_namesTheProperty() throws Exception {
        Path missing = certs.dir().resolve("missing.pem");
        InvalidConfigurationException e = assertThrows(InvalidConfigurationException.class,
                () -> TlsFiles.trustManagers("redis.tls.trust-store", missing, Optional.empty()));
        assertTrue(e.getMessage().contains("'redis.tls.trust-store' (environment variable REDIS_TLS_TRUST_STORE): "
                + "cannot read " + missing), e.getMessage());
        Path keyOnly = certs.dir().resolve("client.key");
        InvalidConfigurationException noCertificate = assertThrows(InvalidConfigurationException.class,
                () -> TlsFiles.trustManagers("redis.tls.trust-store", keyOnly, Optional.empty()));
        assertTrue(noCertificate.getMessage().contains("holds no PEM CERTIFICATE"), noCertificate.getMessage());
        Path garbage = certs.dir().resolve("garbage.p12");
        Files.write(garbage, Arrays.copyOf("not a key store".getBytes(), 64));
        InvalidConfigurationException notAStore = assertThrows(InvalidConfigurationException.class,
                () -> TlsFiles.trustManagers("redis.tls.trust-store", garbage, Optional.empty()));
        assertTrue(notAStore.getMessage().contains("as a trust store"), notAStore.getMessage());
    }
}
