package io.tapstack.forward.control;

import java.io.IOException;
import java.util.List;

/**
 * What the control API asks of the engine that owns the port forwards. Called from the control API's own thread:
 * an implementation hands each call to the engine's thread and waits for its answer (bounded), so that the table
 * of forwards is only ever changed by the engine.
 */
public interface PortForwards
{
    /**
     * Opens the host socket and starts forwarding.
     *
     * @throws IllegalStateException when a forward already holds that host socket, or the limit of forwards is reached
     * @throws IOException           when the host socket cannot be opened (the address is in use, not local, ...)
     */
    PortForwardStatus add(PortForward forward) throws IOException;

    /**
     * Closes the host socket of the forward that holds {@code protocol, hostAddress, hostPort} (its open connections
     * and flows are ended).
     *
     * @return false when no forward holds it
     */
    boolean remove(PortForward.Protocol protocol, java.net.InetAddress hostAddress, int hostPort);

    /** Every forward with its counters, in the order they were added. */
    List<PortForwardStatus> list();
}
