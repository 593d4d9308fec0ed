package io.tapstack.tcp;

import io.tapstack.wire.Ipv4Address;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A SYN that no connection or listener of ours took, held in gateway mode while a {@link SynInterceptor} (a
 * forwarding engine) decides its handshake: {@link TcpLayer#acceptHeld} answers it with a SYN-ACK,
 * {@link TcpLayer#refuseHeld} with a reset, {@link TcpLayer#dropHeld} forgets it (the engine may report an ICMP
 * error about it from {@link #header()}). No SYN-ACK is sent while it is held; the peer's retransmitted SYNs are
 * dropped. Owned by the stack thread.
 */
public final class HeldSyn
{
    /** The SYN's TCP header with its options (at most 60 bytes), kept to finish the handshake from. */
    final UnsafeBuffer header = new UnsafeBuffer(new byte[60]);
    final int headerLength;
    final int localAddress;
    final int localPort;
    final int remoteAddress;
    final int remotePort;
    final long key;
    final long heldAtNs;
    boolean held = true;

    HeldSyn(final DirectBuffer segment, final int offset, final int headerLength, final int localAddress,
        final int localPort, final int remoteAddress, final int remotePort, final long key, final long nowNs)
    {
        this.headerLength = headerLength;
        header.putBytes(0, segment, offset, headerLength);
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.key = key;
        this.heldAtNs = nowNs;
    }

    /** The address the peer connected to: the connection's local address if accepted. */
    public int localAddress()
    {
        return localAddress;
    }

    public int localPort()
    {
        return localPort;
    }

    public int remoteAddress()
    {
        return remoteAddress;
    }

    public int remotePort()
    {
        return remotePort;
    }

    public long heldAtNs()
    {
        return heldAtNs;
    }

    /** True until accepted, refused or dropped. */
    public boolean isHeld()
    {
        return held;
    }

    /** The SYN's TCP header (ports and sequence number first: what an ICMP error quotes), {@link #headerLength}. */
    public DirectBuffer header()
    {
        return header;
    }

    public int headerLength()
    {
        return headerLength;
    }

    @Override
    public String toString()
    {
        return "SYN " + Ipv4Address.toString(remoteAddress) + ":" + remotePort + " -> "
            + Ipv4Address.toString(localAddress) + ":" + localPort;
    }
}
