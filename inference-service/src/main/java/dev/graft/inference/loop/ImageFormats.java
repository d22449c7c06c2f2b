package dev.graft.inference.loop;

import java.util.Optional;

/** The file extension of an encoded image, from its first bytes (the formats the service accepts). */
final class ImageFormats {
    private ImageFormats() {
    }

    static Optional<String> extension(byte[] image) {
        if (starts(image, 0x89, 'P', 'N', 'G')) {
            return Optional.of("png");
        }
        if (starts(image, 0xFF, 0xD8, 0xFF)) {
            return Optional.of("jpg");
        }
        if (starts(image, 'G', 'I', 'F', '8')) {
            return Optional.of("gif");
        }
        if (starts(image, 'B', 'M')) {
            return Optional.of("bmp");
        }
        return Optional.empty();
    }

    private static boolean starts(byte[] bytes, int... prefix) {
        if (bytes == null || bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xFF) != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}
