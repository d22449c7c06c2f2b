package dev.graft.trainer.training;

/** Thrown by the recipe between batches once the request's cancellation has arrived. */
public class TrainingCancelledException extends RuntimeException {
    public TrainingCancelledException(String message) {
        super(message);
    }
}
