package dev.graft.contract.manifest;

/** The image size a model takes: always RGB (3 channels), height x width pixels. */
public record InputShape(int height, int width, int channels) {

    public static final int RGB = 3;

    public InputShape {
        if (height < 1 || width < 1 || channels != RGB) {
            throw new IllegalArgumentException("input shape must be RGB with positive height and width, got "
                    + height + "x" + width + "x" + channels);
        }
    }

    public static InputShape rgb(int height, int width) {
        return new InputShape(height, width, RGB);
    }
}
