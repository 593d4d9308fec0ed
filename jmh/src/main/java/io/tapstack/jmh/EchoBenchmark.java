package io.tapstack.jmh;

import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.FrameHandler;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.IpProtocol;
import org.agrona.MutableDirectBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;

/**
 * One ICMP echo through a whole {@link io.tapstack.NetStack}, driven by the benchmark thread: it is the stack
 * thread. The stack sits on one end of a zero-latency {@link io.tapstack.dev.MemoryLink} in manual time
 * ({@link SingleStack}: a {@link io.tapstack.time.ManualClock} that does not move, so no timer fires); the
 * benchmark plays the peer on the other end. One operation: copy the request frame into a link slot
 * (claim/commit), run one duty cycle ({@code doWork}: Ethernet, IPv4 with header checksum, ICMP with checksum,
 * the reply written into a transmit slot with both checksums computed), and drain the reply from the peer end.
 *
 * <p>Style rule 3 says this path allocates nothing: {@code -prof gc} should show gc.alloc.rate.norm ~ 0 B/op.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class EchoBenchmark
{
    /** ICMP data bytes after the 8-byte ICMP header: ping's default, and a near-MTU packet. */
    @Param({"56", "1400"})
    public int dataLength;

    private SingleStack s;
    private FrameDevice peer;
    private byte[] request;
    private long nowNs;
    private long requests;
    private long replies;
    private long replyBytes;
    private final FrameHandler onReply = this::onReply;

    @Setup(Level.Trial)
    public void setUp()
    {
        s = new SingleStack();
        s.step();
        s.sent();
        s.learnPeer();
        peer = s.link.endB();
        nowNs = s.clock.nanoTime();
        request = Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.ICMP, 1, 0,
            Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 77, 1, new byte[dataLength]));

        // check once, outside the measurement, that the stack really answers
        s.inject(request);
        final List<byte[]> out = s.sentRaw();
        if (out.size() != 1)
        {
            throw new IllegalStateException("expected one reply, got " + out.size());
        }
        final Frames reply = Frames.parse(out.get(0));
        if (reply.icmpType() != IcmpMessage.TYPE_ECHO_REPLY || reply.ipDestination() != PEER_IP
            || !Frames.checksumsVerify(out.get(0)) || reply.l4().length != 8 + dataLength)
        {
            throw new IllegalStateException("not a valid echo reply: " + reply);
        }
    }

    @Benchmark
    public int echo()
    {
        final int offset = peer.claim(request.length);
        if (offset < 0)
        {
            throw new IllegalStateException("link full");
        }
        peer.transmitBuffer().putBytes(offset, request);
        peer.commit(offset);
        requests++;
        s.stack.doWork(nowNs);
        return peer.receive(nowNs, onReply, 16);
    }

    private void onReply(final MutableDirectBuffer buffer, final int offset, final int length, final long now)
    {
        replies++;
        replyBytes += length;
    }

    /** Every request measured got exactly one reply of the expected size (a benchmark of a drop would be fast). */
    @TearDown(Level.Iteration)
    public void checkEveryRequestWasAnswered()
    {
        final long expectedLength = 14 + 20 + 8 + dataLength;
        if (replies != requests || replyBytes != replies * expectedLength)
        {
            throw new IllegalStateException(
                "requests " + requests + ", replies " + replies + ", reply bytes " + replyBytes);
        }
    }
}
