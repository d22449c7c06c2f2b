package dev.graft.imaging;

import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Whether an encoded image holds all of its data. ImageIO's JPEG reader decodes a file cut short by
 * filling the missing part grey and only warns, and its PNG reader ignores a missing end chunk, so a
 * truncated upload would be answered with a confident prediction. BMP's reader fails on missing
 * data itself.
 */
final class ImageCompleteness {
    private ImageCompleteness() {
    }

    /** Why {@code bytes}, in ImageIO format {@code format}, is incomplete; empty when its end is there. */
    static Optional<String> problem(String format, byte[] bytes) {
        return switch (format) {
            case "jpeg" -> jpegHasEnd(bytes) ? Optional.empty()
                    : Optional.of("the JPEG data ends before its end-of-image marker");
            case "png" -> pngHasEnd(bytes) ? Optional.empty()
                    : Optional.of("the PNG data ends before its IEND chunk");
            // the trailer byte: the GIF reader decodes a file cut just before it as if it were whole
            case "gif" -> bytes[bytes.length - 1] == 0x3B ? Optional.empty()
                    : Optional.of("the GIF data ends before its trailer");
            default -> Optional.empty();
        };
    }

    /**
     * An end-of-image marker (FF D9) after the first start-of-scan (FF DA). Inside entropy-coded data
     * every FF byte is followed by 00 or a restart marker, so an FF D9 there is the end; data a camera
     * appends after it does not matter.
     */
    private static boolean jpegHasEnd(byte[] b) {
        int scan = find(b, 0, (byte) 0xDA);
        return scan >= 0 && find(b, scan + 2, (byte) 0xD9) >= 0;
    }

    private static int find(byte[] b, int from, byte marker) {
        for (int i = Math.max(0, from); i + 1 < b.length; i++) {
            if (b[i] == (byte) 0xFF && b[i + 1] == marker) {
                return i;
            }
        }
        return -1;
    }

    /** Walks the chunks after the 8-byte signature: length, type, data, CRC, until a whole IEND. */
    private static boolean pngHasEnd(byte[] b) {
        ByteBuffer buffer = ByteBuffer.wrap(b);
        long at = 8;
        while (at + 12 <= b.length) {
            long length = Integer.toUnsignedLong(buffer.getInt((int) at));
            int type = buffer.getInt((int) at + 4);
            long end = at + 12 + length;
            if (end > b.length) {
                return false;
            }
            if (type == 0x49454E44) {   // "IEND"
                return true;
            }
            at = end;
        }
        return false;
    }
}
