package io.tapstack.socket;

/**
 * A socket's one pending completion-handler read or write: held in a field of the socket and reused for each call,
 * so that a call allocates nothing (where a {@code CompletableFuture} call makes a future and a task per call). A
 * {@link Readiness} lane tries it after each signal, after the lane's futures, until it completes.
 */
abstract class PendingOperation
{
    /** Tries once without waiting: true when done (then {@link #deliver()} follows); false to wait for a signal. */
    abstract boolean attempt();

    /** Calls the caller's handler with what {@link #attempt()} found; the operation is free again by then. */
    abstract void deliver();
}
