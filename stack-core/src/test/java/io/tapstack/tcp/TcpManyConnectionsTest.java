package io.tapstack.tcp;

import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
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
    private static final int B = Ipv4Address.parse("10.0.0.2");

    @Test
    void holdsTenThousandEstablishedConnections()
    {
        final TwoStacks net = new TwoStacks(MS, c -> small(c), c -> small(c), d -> d, d -> d);
        final List<TcpConnection> accepted = new ArrayList<>();
        net.b.tcp().listen(PORT, CONNECTIONS, listener ->
        {
            TcpConnection c;
            while ((c = listener.accept()) != null)
            {
                accepted.add(c);
            }
        });
        final List<TcpConnection> clients = new ArrayList<>();
        // in batches, so that the link's 8,192 slots never overflow with SYNs
        for (int batch = 0; batch < CONNECTIONS / 500; batch++)
        {
            for (int i = 0; i < 500; i++)
            {
                final TcpConnection c = net.a.tcp().connect(B, PORT, null, net.nowNs());
                assertTrue(c != null, "connect " + clients.size());
                clients.add(c);
            }
            final int expected = clients.size();
            assertTrue(net.runUntil(() -> accepted.size() == expected, 5 * SECOND), "batch " + batch);
        }
        net.runFor(100 * MS); // the last ACKs land
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
            final TcpConnection server = accepted.stream()
                .filter(c -> c.remotePort() == client.localPort()).findFirst().orElseThrow();
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
