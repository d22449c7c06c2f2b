package dev.graft.trainer.training;

/** Thrown by the recipe when the trainer shuts down during a training: not an outcome, the request resumes elsewhere. */
public class TrainingStoppedException extends RuntimeException {
    public TrainingStoppedException(String message) {
        super(message);
    }
}
