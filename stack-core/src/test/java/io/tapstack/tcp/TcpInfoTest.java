package io.tapstack.tcp;

import io.tapstack.testkit.DropNth;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TcpInfo}: what a snapshot says of a connection matches the connection's own views and what happened on the
 * link (a dropped data segment shows as one retransmission with its cause), and taking one allocates nothing.
 */
class TcpInfoTest
{
    private static final int B = io.tapstack.wire.Ipv4Address.parse("10.0.0.2");

    @Test
    void snapshotShowsTheWindowsTheRttAndOneRetransmissionForOneDroppedSegment()
    {
        // A's 20th frame of at least 1000 bytes (a full data segment) is lost on the way out
        final TwoStacks net = new TwoStacks(5 * MS, c -> c, c -> c, d -> new DropNth(d, 20, 1000), d -> d);
        final byte[] data = TcpSimulationTest.randomBytes(400_000, 3);
        final TcpSimulationTest.Peer a = new TcpSimulationTest.Peer(data, new byte[0]);
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], data);
        a.shutdownWhenWritten = false;
        b.shutdownWhenWritten = false;
        net.b.tcp().listen(5000, l -> b.start(l.accept().handler(b)));
        final TcpConnection client = net.a.tcp().connect(B, 5000, a, net.nowNs());
        final TcpInfo info = new TcpInfo();

        assertEquals(TcpState.SYN_SENT, info.capture(client, net.nowNs()).state());
        assertEquals(0, info.bytesAcked());
        assertTrue(net.runUntil(() -> client.state() == TcpState.ESTABLISHED, SECOND));
        assertEquals(Integer.MAX_VALUE, info.capture(client, net.nowNs()).ssthresh(),
            "RFC 5681 §3.1: no loss yet, no threshold");

        assertTrue(net.runUntil(() -> b.received == data.length, 60 * SECOND), b.status());
        net.runFor(100 * MS);
        info.capture(client, net.nowNs());
        assertEquals(TcpState.ESTABLISHED, info.state());
        assertEquals(data.length, info.bytesAcked());
        assertEquals(0, info.bytesInFlight(), "everything acknowledged");
        assertEquals(client.cwnd(), info.cwnd());
        assertEquals(client.srttNs(), info.srttNs());
        assertEquals(client.rtoNs(), info.rtoNs());
        assertEquals(client.sndWnd(), info.peerWindow());
        assertTrue(info.srttNs() >= 10 * MS && info.srttNs() < 20 * MS, "RFC 6298: SRTT near the 10 ms RTT: "
            + info.srttNs());
        assertTrue(info.ssthresh() < Integer.MAX_VALUE, "the loss set a threshold (RFC 5681 §3.2)");
        assertEquals(1, info.retransmitsFastRecovery() + info.retransmitsRack(),
            "one segment resent by fast recovery or RACK, no RTO: " + info.retransmitsTotal());
        assertEquals(0, info.retransmitsTimeout());
        assertEquals(1, info.retransmitsTotal() - info.tailLossProbes());

        final TcpInfo server = new TcpInfo().capture(b.connection, net.nowNs());
        assertEquals(data.length, server.bytesReceived());
        assertEquals(0, server.retransmitsTotal());
        assertTrue(server.receiveWindow() > 0, "the reader drained its buffer: an open window");
    }

    @Test
    void captureAllocatesNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final TwoStacks net = new TwoStacks();
        final TcpSimulationTest.Peer b = new TcpSimulationTest.Peer(new byte[0], new byte[0]);
        net.b.tcp().listen(5000, l -> b.start(l.accept().handler(b)));
        final TcpConnection client = net.a.tcp().connect(B, 5000, null, net.nowNs());
        assertTrue(net.runUntil(() -> client.state() == TcpState.ESTABLISHED, SECOND));
        final TcpInfo info = new TcpInfo();
        long sum = 0;
        for (int i = 0; i < 1000; i++)
        {
            sum += info.capture(client, i).cwnd(); // warm
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 100_000; i++)
        {
            sum += info.capture(client, i).cwnd();
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertTrue(sum > 0);
        assertTrue(allocated < 1024, "bytes allocated by 100,000 snapshots: " + allocated); // 1 B each would be 100 KB
    }
}
