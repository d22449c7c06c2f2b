package dev.graft.deploy;

/** Training requests the tests of packaged trainers send: the small convnet at 32 px, trained in seconds. */
final class TestRequests {
    private TestRequests() {
    }

    /** Model named as the request; fine-tuning (the whole base) only when {@code fineTuneEpochs} is above 0. */
    static String smallConvnet(String requestId, String train, String validation, int frozenEpochs, int fineTuneEpochs) {
        String fineTune = fineTuneEpochs == 0 ? "" : """
                , "fineTune": {"epochs": %d, "learningRate": 0.001, "batchSize": 8, "unfreezeFrom": "block1_conv1"}"""
                .formatted(fineTuneEpochs);
        return """
                {"requestId": "%s", "model": "%s", "task": "classification",
                 "dataset": {"train": "%s", "validation": "%s"},
                 "base": {"architecture": "small-convnet", "weights": "random", "inputHeight": 32, "inputWidth": 32},
                 "head": {"units": 16},
                 "frozen": {"epochs": %d, "learningRate": 0.01, "batchSize": 8}%s}
                """.formatted(requestId, requestId, train, validation, frozenEpochs, fineTune);
    }
}
