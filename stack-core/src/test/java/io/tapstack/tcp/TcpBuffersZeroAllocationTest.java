package io.tapstack.tcp;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Style rule 3: the per-segment paths of the TCP building blocks allocate nothing in steady state. */
class TcpBuffersZeroAllocationTest
{
    private final SendBuffer send = new SendBuffer(64 * 1024);
    private final ReceiveBuffer receive = new ReceiveBuffer(64 * 1024);
    private final SegmentReassembler reassembler = new SegmentReassembler(receive);
    private final RttEstimator rtt = new RttEstimator();
    private final NewReno cc = new NewReno();
    private final Cubic cubic = new Cubic();
    private final UnsafeBuffer frame = new UnsafeBuffer(new byte[1460]);
    private final UnsafeBuffer out = new UnsafeBuffer(new byte[1460]);
    private final int[] lefts = new int[4];
    private final int[] rights = new int[4];
    private long sink;

    private void run(final int rounds)
    {
        int rcvNxt = 0x7FFF_0000;
        for (int i = 0; i < rounds; i++)
        {
            send.append(frame, 0, 1460);
            send.copyOut(0, out, 0, 1460);
            send.release(1460);

            // a segment arrives out of order, then the one before it
            reassembler.insert(rcvNxt + 1460, rcvNxt, frame, 0, 1460);
            sink += reassembler.sackBlocks(rcvNxt, lefts, rights, 4);
            reassembler.insert(rcvNxt, rcvNxt, frame, 0, 1460);
            rcvNxt += reassembler.drain(rcvNxt);
            receive.read(out, 0, 1460);
            receive.read(out, 0, 1460);

            rtt.sample(1_000_000L + (i & 1023) * 1000L);
            cc.onAck(1460, cc.cwnd(), i);
            cubic.onRttSample(1_000_000L + (i & 1023) * 1000L, rtt.srttNs(), i * 1000L);
            cubic.onAck(1460, cubic.cwnd(), i * 1000L);
            if ((i & 255) == 0)
            {
                cubic.onThirdDuplicateAck(rcvNxt, 100_000, rcvNxt + 100_000, i * 1000L);
                cubic.onDuplicateAckInRecovery(i * 1000L);
                cubic.onPartialAck(1460, i * 1000L);
                cubic.onFullAck(50_000, i * 1000L);
                if ((i & 1023) == 0)
                {
                    cubic.onRetransmissionTimeout(50_000, rcvNxt, i * 1000L);
                }
                cc.onThirdDuplicateAck(rcvNxt, 100_000, rcvNxt + 100_000, i);
                cc.onDuplicateAckInRecovery(i);
                cc.onPartialAck(1460, i);
                cc.onFullAck(50_000, i);
                cc.onRetransmissionTimeout(50_000, rcvNxt, i);
                rtt.backoff();
            }
        }
    }

    @Test
    void segmentPathsAllocateNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        cc.init(1460, 0);
        cc.listener((reason, cwnd, ssthresh, nowNs) -> sink += cwnd);
        cubic.init(1460, 0);
        cubic.listener((reason, cwnd, ssthresh, nowNs) -> sink += cwnd);
        run(20_000); // warm up
        final long before = threads.getCurrentThreadAllocatedBytes();
        run(10_000);
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        // slack for the measurement itself, as in ZeroAllocationTest; one object per segment would be >= 160 KB
        assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10,000 segments");
    }
}
