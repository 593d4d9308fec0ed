package io.tapstack.socket;

import io.tapstack.tcp.TcpInfo;

/**
 * One TCP connection of a {@link SocketStack} as the stack thread saw it: its 4-tuple and a {@link TcpInfo}
 * captured there ({@code ss -ti}'s fields). Made on the stack thread, handed over through a completed future, and
 * read-only after: any thread may read it.
 */
public final class TcpConnectionSnapshot
{
    private final int socketId;
    private final int localAddress;
    private final int localPort;
    private final int remoteAddress;
    private final int remotePort;
    private final TcpInfo info;

    TcpConnectionSnapshot(final int socketId, final int localAddress, final int localPort, final int remoteAddress,
        final int remotePort, final TcpInfo info)
    {
        this.socketId = socketId;
        this.localAddress = localAddress;
        this.localPort = localPort;
        this.remoteAddress = remoteAddress;
        this.remotePort = remotePort;
        this.info = info;
    }

    /** The socket's id in this API: increasing, never reused while the stack runs (tells connections apart). */
    public int socketId()
    {
        return socketId;
    }

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

    /** What TCP knew of the connection at {@link TcpInfo#timeNs()}: do not pass it to {@link TcpInfo#capture}. */
    public TcpInfo info()
    {
        return info;
    }
}
