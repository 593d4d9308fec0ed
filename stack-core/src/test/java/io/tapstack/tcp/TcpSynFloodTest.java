package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static io.tapstack.tcp.TcpScript.ACK;
import static io.tapstack.tcp.TcpScript.NONE;
import static io.tapstack.tcp.TcpScript.SECOND;
import static io.tapstack.tcp.TcpScript.SYN;
import static io.tapstack.tcp.TcpScript.mss;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RFC 4987: 20,000 spoofed SYNs from on-link sources whose ARP nobody answers, in 5 s of simulated time, against a
 * listener with a backlog of 128. A legitimate client connects during the flood (a SYN cookie) and at once after
 * it, and the stack's state stays bounded by the backlog.
 */
class TcpSynFloodTest
{
    private static final int FLOOD = 20_000;
    private static final int BACKLOG = 128;

    @Test
    void aLegitimateClientConnectsDuringAndAfterAFloodOfSpoofedSyns()
    {
        final TcpScript t = new TcpScript();
        final TcpListener l = t.tcp.listen(80, BACKLOG, null);
        final SplittableRandom random = new SplittableRandom(7);
        final long stepNs = 5 * SECOND / FLOOD;
        for (int i = 0; i < FLOOD; i++)
        {
            if (i == FLOOD / 2)
            {
                connects(t, l, 40001, "during the flood");
            }
            final int source = Ipv4Address.parse("10.0.0.0") | (3 + random.nextInt(250)); // on-link, never answers
            t.s.inject(Frames.ipv4(STACK_MAC, 0x02_00_00_00_99_00L + (source & 0xFF), source, STACK_IP,
                IpProtocol.TCP, i, 0, Frames.tcp(source, STACK_IP, 1024 + random.nextInt(60_000), 80,
                    random.nextInt(), 0, SYN, 65535, mss(1460), NONE)));
            t.s.sent(); // drain what the stack sent (ARP requests, SYN-ACKs it could send)
            t.s.clock.advanceNs(stepNs);
            assertTrue(t.tcp.connectionCount() <= BACKLOG + 1, "state grows with the flood: "
                + t.tcp.connectionCount());
        }
        assertEquals(BACKLOG, l.halfOpen(), "the flood filled the half-open queue");
        assertTrue(t.count(Counter.TCP_SYN_COOKIES_SENT) > FLOOD - 2 * BACKLOG, "the rest were answered by cookies");
        connects(t, l, 40002, "right after the flood");
        // two minutes later the flood's half-open entries have given up (5 SYN-ACK retries) and a SYN gets state again
        t.s.advance(120 * SECOND);
        t.s.sent();
        assertEquals(0, l.halfOpen());
        assertEquals(2, t.tcp.connectionCount(), "only the two legitimate connections are left");
    }

    /** The scripted peer (10.0.0.1) opens a connection from {@code port}; the listener must hand it over. */
    private static void connects(final TcpScript t, final TcpListener l, final int port, final String when)
    {
        t.s.learnPeer();
        t.peerPort = port;
        t.send(SYN, t.peer(0), 0, 65535, mss(1460), NONE);
        TcpScript.Seg synAck;
        while ((synAck = t.nextOrNull()) != null && synAck.port() != port)
        {
            // segments to flood sources that the peer's end of the link also saw are skipped
        }
        assertNotNull(synAck, "no SYN-ACK " + when);
        t.stackIss = synAck.seq();
        t.send(ACK, t.peer(1), t.stack(1));
        final TcpConnection c = l.accept();
        assertNotNull(c, "not accepted " + when);
        assertEquals(port, c.remotePort());
        assertEquals(TcpState.ESTABLISHED, c.state());
    }
}
