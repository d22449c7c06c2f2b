package dev.graft.trainer.job;

import dev.graft.trainer.pool.Claim;
import dev.graft.trainer.pool.RequestRecord;

import java.util.Optional;

/**
 * One request a trainer has taken off the share group, between its delivery and its
 * acknowledgement: the record, the claim once won (the intake keeps it beating), and whether the
 * trainer is stopping or has lost the request to another trainer.
 */
public final class Job {
    private final RequestRecord record;
    private final boolean lastDelivery;
    private volatile Claim claim;
    private volatile boolean stopping;
    private volatile boolean lost;

    public Job(RequestRecord record, boolean lastDelivery) {
        this.record = record;
        this.lastDelivery = lastDelivery;
    }

    public RequestRecord record() {
        return record;
    }

    /** The share group will not deliver the record again: a request that reached this point stops here. */
    boolean lastDelivery() {
        return lastDelivery;
    }

    public Optional<Claim> claim() {
        return Optional.ofNullable(claim);
    }

    public void claimed(Claim claim) {
        this.claim = claim;
    }

    public void stop() {
        stopping = true;
    }

    /** Another trainer took the request over (this one missed heartbeats): stop, publish nothing. */
    public void lose() {
        lost = true;
        stopping = true;
    }

    boolean stopping() {
        return stopping;
    }

    boolean lost() {
        return lost;
    }
}
