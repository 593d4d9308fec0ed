package io.tapstack.tcp;

import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stacks hold 10,000 established connections between them in simulated time: idle connections cost no timer
 * work (no deadline is pending, so a duty cycle looks at none of them), and any one of them still carries data.
 */
class TcpManyConnectionsTest
{
    private static final int CONNECTIONS = 10_000;
    private static final int PORT = 80;

    @Test
    void holdsTenThousandEstablishedConnections()
    {
        final TwoStacks net = new TwoStacks(MS, c -> small(c), c -> small(c), d -> d, d -> d);
        final TwoStacks.Established established = net.establish(CONNECTIONS, PORT, null);
        final List<TcpConnection> clients = established.clients();
        final List<TcpConnection> accepted = established.servers();
        assertEquals(CONNECTIONS, net.a.tcp().connectionCount());
        assertEquals(CONNECTIONS, net.b.tcp().connectionCount());
        assertTrue(clients.stream().allMatch(c -> c.state() == TcpState.ESTABLISHED));
        assertTrue(accepted.stream().allMatch(c -> c.state() == TcpState.ESTABLISHED));

        // idle: no connection has a timer pending, so neither stack has a deadline and nothing is sent
        assertEquals(Long.MAX_VALUE, net.a.tcp().nextDeadlineNs());
        assertEquals(Long.MAX_VALUE, net.b.tcp().nextDeadlineNs());
        final int framesBefore = net.capture.all().size();
        net.runFor(60 * SECOND);
        assertEquals(framesBefore, net.capture.all().size(), "idle connections sent something");

        // any one of them still works: the first, a middle one and the last each carry a byte
        for (final int i : new int[] {0, CONNECTIONS / 2, CONNECTIONS - 1})
        {
            final TcpConnection client = clients.get(i);
            final TcpConnection server = established.serverOf(client);
            assertEquals(1, client.write(new byte[] {(byte)i}, 0, 1));
            net.b.tcp().flush(net.nowNs());
            net.a.tcp().flush(net.nowNs());
            assertTrue(net.runUntil(() -> server.readable() == 1, SECOND));
            final byte[] got = new byte[1];
            assertEquals(1, server.read(got, 0, 1));
            assertEquals((byte)i, got[0]);
        }
        assertEquals(CONNECTIONS, net.b.tcp().connectionCount());
    }

    private static io.tapstack.StackConfig small(final io.tapstack.StackConfig config)
    {
        config.tcp().maxConnections(CONNECTIONS + 100).sendBufferBytes(2048).receiveBufferBytes(2048)
            .defaultBacklog(CONNECTIONS);
        return config;
    }
}
