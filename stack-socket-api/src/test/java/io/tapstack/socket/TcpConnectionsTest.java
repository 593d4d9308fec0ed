package io.tapstack.socket;

import io.tapstack.tcp.TcpState;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static io.tapstack.socket.MemoryStacks.A_IP;
import static io.tapstack.socket.MemoryStacks.B_IP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SocketStack.tcpConnections: the stack thread lists each connection with its 4-tuple and a TcpInfo taken there,
 * oldest first, at most as many as asked (the total counts them all); a bad bound is refused; a closed stack fails
 * the call.
 */
class TcpConnectionsTest
{
    @Test
    void listsEachConnectionWithItsTupleAndTcpInfoWithinTheBound() throws Exception
    {
        final MemoryStacks s = new MemoryStacks();
        try
        {
            final TcpServerSocket listener = s.b.listen(7);
            final List<TcpSocket> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++)
            {
                clients.add(s.a.connect(B_IP, 7, Duration.ofSeconds(5)));
                listener.accept(Duration.ofSeconds(5));
            }
            clients.get(0).getOutputStream().write(new byte[1000]);
            final TcpConnections all = s.a.tcpConnections(10).get(5, TimeUnit.SECONDS);
            assertEquals(3, all.total());
            assertEquals(3, all.connections().size());
            for (int i = 0; i < 3; i++)
            {
                final TcpConnectionSnapshot c = all.connections().get(i);
                assertEquals(clients.get(i).localPort(), c.localPort(), "oldest first");
                assertEquals(A_IP, c.localAddress());
                assertEquals(B_IP, c.remoteAddress());
                assertEquals(7, c.remotePort());
                assertEquals(TcpState.ESTABLISHED, c.info().state());
                assertTrue(c.info().cwnd() >= c.info().sendMss(), "cwnd " + c.info().cwnd());
            }
            final TcpConnections two = s.b.tcpConnections(2).get(5, TimeUnit.SECONDS);
            assertEquals(3, two.total(), "the total counts every connection");
            assertEquals(2, two.connections().size(), "at most as many as asked");
            assertEquals(7, two.connections().get(0).localPort());
            assertThrows(IllegalArgumentException.class, () -> s.a.tcpConnections(0));
            assertThrows(IllegalArgumentException.class, () -> s.a.tcpConnections(4097));
        }
        finally
        {
            s.close();
        }
        final ExecutionException ex = assertThrows(ExecutionException.class,
            () -> s.a.tcpConnections(1).get(5, TimeUnit.SECONDS));
        assertTrue(ex.getCause() instanceof StackClosedException, ex.toString());
    }
}
