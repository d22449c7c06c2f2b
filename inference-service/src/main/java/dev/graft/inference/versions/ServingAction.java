package dev.graft.inference.versions;

/**
 * The one thing the {@link ServingPolicy} asks for next; the manager does it and asks again. Each
 * names the version it acts on.
 */
public sealed interface ServingAction {

    int version();

    /** A failed version's planned attempt is due: it becomes a candidate again. */
    record Retry(int version) implements ServingAction {
    }

    /** The promotion rule holds this version back, for a reason it was not noted with yet. */
    record HoldBack(int version, String reason) implements ServingAction {
    }

    /** Gone from the store: out of memory and out of the candidates. */
    record Retire(int version) implements ServingAction {
    }

    /** Read this candidate's manifest: the promotion rule needs it to judge. */
    record Inspect(int version) implements ServingAction {
    }

    /** Bring this version into memory; the serving one serves meanwhile. */
    record Load(int version) implements ServingAction {
    }

    /** Put this version (in memory) in shadow beside the serving one, for the live gate. */
    record Shadow(int version) implements ServingAction {
    }

    /** Take this version out of shadow: held back, or no longer the one to judge. */
    record Unshadow(int version) implements ServingAction {
    }

    /** Swap this version (in memory) in for requests that name no version. */
    record Serve(int version) implements ServingAction {
    }
}
