package dev.graft.inference.loop;

import dev.graft.inference.config.InferenceConfig;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * Prediction ids that carry their own proof: {@code TIME.VERSION.NONCE.MAC} (VERSION ends with {@code n}
 * when the prediction was not logged), the MAC an HMAC-SHA256 over the model's name and the rest under
 * {@code graft.predictions.id-key}. Feedback on an id is checked without looking anything up, on any
 * replica that has the key: an id this service never issued for that model is unknown, one older than
 * the feedback window has expired, one the log did not sample has nothing to join, and the version it
 * names says which labels are valid.
 */
@ApplicationScoped
public class PredictionIds {
    private static final Logger LOG = Logger.getLogger(PredictionIds.class);
    private static final Base64.Encoder BASE64 = Base64.getUrlEncoder().withoutPadding();
    private static final int MAC_BYTES = 16;
    private static final String NOT_LOGGED = "n";
    /** Longer than any id issued here: nothing longer is parsed. */
    static final int MAX_LENGTH = 80;

    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();
    private final ThreadLocal<Mac> macs;

    /** What an id says: the version that made the prediction, when, and whether the prediction log has it. */
    public record Issued(int version, Instant time, boolean logged) {
    }

    @Inject
    public PredictionIds(InferenceConfig config) {
        this(config.predictions().idKey().orElseGet(() -> {
            LOG.warn("graft.predictions.id-key is not set: prediction ids are signed with a key of this process only,"
                    + " so feedback is refused (404) after a restart or on another replica; give every replica the same key");
            byte[] bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
            return BASE64.encodeToString(bytes);
        }));
    }

    PredictionIds(String key) {
        this.key = new SecretKeySpec(key.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
        this.macs = ThreadLocal.withInitial(() -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA256");
                mac.init(this.key);
                return mac;
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
            }
        });
    }

    public String issue(String model, int version, Instant time, boolean logged) {
        byte[] nonce = new byte[9];
        random.nextBytes(nonce);
        String body = Long.toString(time.toEpochMilli(), 36) + "." + version + (logged ? "" : NOT_LOGGED) + "."
                + BASE64.encodeToString(nonce);
        return body + "." + mac(model, body);
    }

    /** The version and time of an id issued for this model; empty for anything else. */
    public Optional<Issued> read(String model, String id) {
        if (id == null || id.length() > MAX_LENGTH) {
            return Optional.empty();
        }
        int last = id.lastIndexOf('.');
        String[] parts = id.split("\\.", -1);
        if (parts.length != 4 || !MessageDigest.isEqual(mac(model, id.substring(0, last)).getBytes(StandardCharsets.US_ASCII),
                parts[3].getBytes(StandardCharsets.US_ASCII))) {
            return Optional.empty();
        }
        boolean logged = !parts[1].endsWith(NOT_LOGGED);
        String version = logged ? parts[1] : parts[1].substring(0, parts[1].length() - 1);
        try {
            return Optional.of(new Issued(Integer.parseInt(version), Instant.ofEpochMilli(Long.parseLong(parts[0], 36)), logged));
        } catch (NumberFormatException e) {
            return Optional.empty();   // signed, so issued here: cannot happen unless the key leaked
        }
    }

    private String mac(String model, String body) {
        Mac mac = macs.get();
        mac.update(model.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) '\n');
        byte[] full = mac.doFinal(body.getBytes(StandardCharsets.US_ASCII));
        return BASE64.encodeToString(java.util.Arrays.copyOf(full, MAC_BYTES));
    }
}
