package io.tapstack.trace;

import io.tapstack.StackConfig;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.CongestionAlgorithm;
import io.tapstack.testkit.DropNth;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SequenceTraceTest
{
    @Test
    void handshakeTransferWithOneLossAndCloseReadLikeASequenceDiagram() throws Exception
    {
        // the diagram below predates RFC 7323 and CUBIC: 1460-byte segments, unscaled windows and NewReno's
        // cwnd numbers (see the RFC 7323 tests and CubicTest)
        final TwoStacks net = new TwoStacks(TwoStacks.MS, SequenceTraceTest::withoutRfc7323,
            SequenceTraceTest::withoutRfc7323, d -> new DropNth(d, 3, 1000), d -> d);
        final SequenceTrace trace = new SequenceTrace();
        final Path pcap = Files.createTempFile("tapstack-trace", ".pcap");
        final PcapWriter writer = PcapWriter.create(pcap);
        net.link.observer((fromA, buffer, offset, length, nowNs) ->
        {
            trace.onFrame(fromA, buffer, offset, length, nowNs);
            writer.onFrame(fromA, buffer, offset, length, nowNs);
        });
        net.a.tcp().eventListener(trace);
        net.b.tcp().eventListener(trace);

        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final boolean[] closed = new boolean[2];
        net.b.tcp().listen(80, l -> l.accept().handler(new TcpHandler()
        {
            @Override
            public void onReadable(final TcpConnection c)
            {
                final byte[] buf = new byte[8192];
                int r;
                while ((r = c.read(buf, 0, buf.length)) > 0)
                {
                    received.write(buf, 0, r);
                }
                if (r < 0)
                {
                    c.close();
                }
            }

            @Override
            public void onEndOfStream(final TcpConnection c)
            {
                onReadable(c);
            }

            @Override
            public void onClosed(final TcpConnection c)
            {
                closed[1] = true;
            }
        }));
        final byte[] data = new byte[10 * 1460];
        net.a.tcp().connect(Ipv4Address.parse("10.0.0.2"), 80, new TcpHandler()
        {
            @Override
            public void onConnected(final TcpConnection c)
            {
                assertEquals(data.length, c.write(data, 0, data.length));
                c.close();
            }

            @Override
            public void onClosed(final TcpConnection c)
            {
                closed[0] = true;
            }
        }, net.clock.nanoTime());
        assertTrue(net.runUntil(() -> closed[0] && closed[1], 10 * SECOND));
        writer.close();

        final String expected = String.join("\n",
            "              10.0.0.1:64864                                    10.0.0.2:80",
            "    0.000 ms  * CLOSED -> SYN_SENT",
            "    1.000 ms  SYN seq 0 win 65535 mss 1460                --->",
            "    2.000 ms                                                    * CLOSED -> SYN_RECEIVED",
            "    2.000 ms                                              <---  SYN,ACK seq 0 ack 1 win 65535 mss 1460",
            "    3.000 ms  * cwnd 14600 ssthresh inf (init)",
            "    3.000 ms  * SYN_SENT -> ESTABLISHED",
            "    3.000 ms  ACK seq 1 ack 1 len 1460 win 65535          --->",
            "    3.000 ms  ACK seq 1461 ack 1 len 1460 win 65535       --->",
            "    3.000 ms  ACK seq 4381 ack 1 len 1460 win 65535       --->",
            "    3.000 ms  ACK seq 5841 ack 1 len 1460 win 65535       --->",
            "    3.000 ms  ACK seq 7301 ack 1 len 1460 win 65535       --->",
            "    3.000 ms  ACK seq 8761 ack 1 len 1460 win 65535       --->",
            "    3.000 ms  ACK seq 10221 ack 1 len 1460 win 65535      --->",
            "    3.000 ms  ACK seq 11681 ack 1 len 1460 win 65535      --->",
            "    3.000 ms  FIN,PSH,ACK seq 13141 ack 1 len 1460 win 65535 --->",
            "    3.000 ms  * ESTABLISHED -> FIN_WAIT_1",
            "    4.000 ms                                                    * cwnd 14600 ssthresh inf (init)",
            "    4.000 ms                                                    * SYN_RECEIVED -> ESTABLISHED",
            "    4.000 ms                                              <---  ACK seq 1 ack 1461 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    4.000 ms                                              <---  ACK seq 1 ack 2921 win 65535",
            "    5.000 ms  * cwnd 10220 ssthresh 5840 (fast-retransmit)",
            "    5.000 ms  * retransmit seq 2921 len 1460 (fast-retransmit)",
            "    5.000 ms  PSH,ACK seq 2921 ack 1 len 1460 win 65535   --->",
            "    6.000 ms                                                    * ESTABLISHED -> CLOSE_WAIT",
            "    6.000 ms                                              <---  FIN,ACK seq 1 ack 14602 win 65535",
            "    6.000 ms                                                    * CLOSE_WAIT -> LAST_ACK",
            "    7.000 ms  * cwnd 2920 ssthresh 5840 (full-ack)",
            "    7.000 ms  * FIN_WAIT_1 -> FIN_WAIT_2",
            "    7.000 ms  * FIN_WAIT_2 -> TIME_WAIT",
            "    7.000 ms  ACK seq 14602 ack 2 win 65534               --->",
            "    8.000 ms                                                    * LAST_ACK -> CLOSED",
            "");
        assertEquals(expected, trace.toString(), "the trace changed:\n" + trace);
        assertEquals(data.length, received.size());
        assertTrue(Files.size(pcap) > 24);
        Files.delete(pcap);
    }

    /** The trace as recorded before RFC 7323, SACK and PRR: NewReno recovery (RFC 5681's window), only MSS. */
    private static StackConfig withoutRfc7323(final StackConfig c)
    {
        c.tcp().windowScaling(false).timestamps(false).sack(false).congestionControl(CongestionAlgorithm.NEWRENO)
            .prr(false);
        return c;
    }
}
