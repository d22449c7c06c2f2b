package dev.graft.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority made for one test with the JDK's keytool: a PKCS12 key store for a server at
 * 127.0.0.1 (its key, and a certificate the CA signed for that address) and a trust store holding only
 * the CA, as an operator's real ones would be laid out.
 */
public record ThrowawayCa(Path keyStore, Path trustStore, String password) {

    public static ThrowawayCa create(Path dir) {
        String password = UUID.randomUUID().toString();
        Path ca = dir.resolve("ca.p12");
        Path keyStore = dir.resolve("server.p12");
        Path trustStore = dir.resolve("truststore.p12");
        Path request = dir.resolve("server.csr");
        Path signed = dir.resolve("server.crt");
        Path caCert = dir.resolve("ca.crt");
        try {
            Files.createDirectories(dir);
            keytool(password, "-genkeypair", "-alias", "ca", "-dname", "CN=graft-test-ca", "-ext", "bc:c", "-keyalg", "RSA",
                    "-keysize", "2048", "-validity", "2", "-keystore", ca.toString());
            keytool(password, "-exportcert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-file", caCert.toString());
            keytool(password, "-genkeypair", "-alias", "server", "-dname", "CN=127.0.0.1", "-keyalg", "RSA", "-keysize", "2048",
                    "-validity", "2", "-keystore", keyStore.toString());
            keytool(password, "-certreq", "-alias", "server", "-keystore", keyStore.toString(), "-file", request.toString());
            keytool(password, "-gencert", "-rfc", "-alias", "ca", "-keystore", ca.toString(), "-infile", request.toString(),
                    "-outfile", signed.toString(), "-ext", "san=ip:127.0.0.1", "-validity", "2");
            keytool(password, "-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(), "-keystore", keyStore.toString());
            keytool(password, "-importcert", "-alias", "server", "-file", signed.toString(), "-keystore", keyStore.toString());
            keytool(password, "-importcert", "-noprompt", "-alias", "ca", "-file", caCert.toString(), "-keystore",
                    trustStore.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot make a throwaway CA in " + dir, e);
        }
        return new ThrowawayCa(keyStore, trustStore, password);
    }

    private static void keytool(String password, String... args) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        command.addAll(List.of("-storetype", "PKCS12", "-storepass", password));
        if (List.of(args).contains("-genkeypair")) {
            command.addAll(List.of("-keypass", password));
        }
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IllegalStateException("keytool " + String.join(" ", args) + " failed: " + output);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
