package io.tapstack.socket;

import java.util.List;

/**
 * The answer to {@link SocketStack#tcpConnections(int)}: the connections listed (by socket id, oldest first; at
 * most the number asked for) and how many the stack had then.
 */
public record TcpConnections(List<TcpConnectionSnapshot> connections, int total)
{
}
