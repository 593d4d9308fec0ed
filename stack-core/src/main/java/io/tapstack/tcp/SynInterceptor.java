package io.tapstack.tcp;

/**
 * Gateway mode: decides the handshake of SYNs that no connection or listener of ours takes (a forwarding engine opens
 * a host socket to the SYN's destination first). Installed with {@link TcpLayer#synInterceptor}. Stack thread.
 */
@FunctionalInterface
public interface SynInterceptor
{
    /**
     * A new SYN, now held: later call exactly one of {@link TcpLayer#acceptHeld}, {@link TcpLayer#refuseHeld} or
     * {@link TcpLayer#dropHeld} with it (not from within this call).
     *
     * @return false to not hold it: the layer answers the SYN as it would without an interceptor (a reset)
     */
    boolean onSyn(HeldSyn syn, long nowNs);
}
