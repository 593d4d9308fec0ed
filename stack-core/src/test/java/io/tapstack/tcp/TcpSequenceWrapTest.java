package io.tapstack.tcp;

import io.tapstack.dev.ImpairedDevice;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 9293 §3.4: sequence numbers are modulo 2^32; both sides start just below the wrap and cross it. */
class TcpSequenceWrapTest
{
    @Test
    void bothDirectionsCrossTheWrapThroughLossIntact()
    {
        final TwoStacks net = new TwoStacks(2 * MS, c -> c, c -> c, d -> new ImpairedDevice(d, 5, 0.03, 0.01),
            d -> new ImpairedDevice(d, 6, 0.03, 0.01));
        net.a.tcp().fixedIsnForTests(0xFFFF_FF00);
        net.b.tcp().fixedIsnForTests(0xFFFF_FFFF);
        final byte[] up = new byte[200_000];
        final byte[] down = new byte[150_000];
        new Random(1).nextBytes(up);
        new Random(2).nextBytes(down);
        final TcpPeers.Sink atB = new TcpPeers.Sink();
        final TcpPeers.Sender fromB = new TcpPeers.Sender(down, true);
        net.b.tcp().listen(9, l ->
        {
            final TcpConnection c = l.accept();
            c.handler(new TcpHandler()
            {
                @Override
                public void onReadable(final TcpConnection conn)
                {
                    atB.onReadable(conn);
                }

                @Override
                public void onEndOfStream(final TcpConnection conn)
                {
                    atB.closeOnEnd = false;
                    atB.onEndOfStream(conn);
                }

                @Override
                public void onWritable(final TcpConnection conn)
                {
                    fromB.onWritable(conn);
                }
            });
            fromB.pump(c);
        });
        final TcpPeers.Sink atA = new TcpPeers.Sink();
        final TcpPeers.Sender fromA = new TcpPeers.Sender(up, true);
        atA.closeOnEnd = false;
        final TcpConnection client = net.a.tcp().connect(Ipv4Address.parse("10.0.0.2"), 9, new TcpHandler()
        {
            @Override
            public void onConnected(final TcpConnection conn)
            {
                fromA.onConnected(conn);
            }

            @Override
            public void onWritable(final TcpConnection conn)
            {
                fromA.onWritable(conn);
            }

            @Override
            public void onReadable(final TcpConnection conn)
            {
                atA.onReadable(conn);
            }

            @Override
            public void onEndOfStream(final TcpConnection conn)
            {
                atA.onEndOfStream(conn);
            }
        }, net.clock.nanoTime());
        assertTrue(net.runUntil(() -> atA.endOfStream && atB.endOfStream, 600 * SECOND),
            "A got " + atA.received.size() + " of " + down.length + ", B got " + atB.received.size() + " of " + up.length);
        assertEquals(0xFFFF_FF00, client.iss());
        assertTrue(Integer.compareUnsigned(client.sndUna(), 0xFFFF_FF00) < 0, "SND.UNA wrapped past 2^32");
        assertArrayEquals(up, atB.received.toByteArray());
        assertArrayEquals(down, atA.received.toByteArray());
    }
}
