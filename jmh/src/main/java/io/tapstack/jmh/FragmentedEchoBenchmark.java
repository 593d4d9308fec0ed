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
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;

/**
 * A 60,000-byte ICMP echo (message of 60,000 bytes: 59,992 data) through a whole {@link io.tapstack.NetStack} in
 * driven by the benchmark thread over a zero-latency {@link io.tapstack.dev.MemoryLink} in manual time. The request arrives as 41
 * IPv4 fragments of up to 1480 bytes; the stack reassembles it (RFC 791 §3.2), verifies the ICMP checksum over the
 * whole datagram, writes the reply and fragments it again to the 1500-byte MTU. One operation: copy the 41
 * request fragments into link slots, run one duty cycle (the receive burst of 64 takes them all), drain the 41
 * reply fragments.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class FragmentedEchoBenchmark
{
    /** Bytes of the ICMP message: header and data. */
    public static final int MESSAGE_LENGTH = 60_000;
    /** IPv4 payload per fragment at a 1500-byte MTU. */
    public static final int PIECE = 1480;

    private SingleStack s;
    private FrameDevice peer;
    private byte[][] fragments;
    private int replyFragments;
    private long nowNs;
    private long requests;
    private long replies;
    private long replyPayloadBytes;
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
        final byte[] data = new byte[MESSAGE_LENGTH - 8];
        final SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < data.length; i++)
        {
            data[i] = (byte)random.nextInt(256);
        }
        final byte[] icmp = Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 9, 1, data);
        final List<byte[]> list = Frames.fragments(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.ICMP, 4242,
            icmp, PIECE);
        fragments = list.toArray(new byte[0][]);
        replyFragments = fragments.length;

        // check once, outside the measurement, that the stack answers with the whole message
        for (final byte[] fragment : fragments)
        {
            inject(fragment);
        }
        s.step();
        final List<Frames> out = s.sent();
        int payload = 0;
        for (final Frames f : out)
        {
            if (f.ipDestination() != PEER_IP)
            {
                throw new IllegalStateException("unexpected frame " + f);
            }
            payload += f.l4().length;
        }
        if (out.size() != replyFragments || payload != MESSAGE_LENGTH)
        {
            throw new IllegalStateException("expected " + replyFragments + " reply fragments carrying "
                + MESSAGE_LENGTH + " bytes, got " + out.size() + " carrying " + payload);
        }
    }

    private void inject(final byte[] frame)
    {
        final int offset = peer.claim(frame.length);
        if (offset < 0)
        {
            throw new IllegalStateException("link full");
        }
        peer.transmitBuffer().putBytes(offset, frame);
        peer.commit(offset);
    }

    @Benchmark
    public int fragmentedEcho()
    {
        final byte[][] fragments = this.fragments;
        for (int i = 0; i < fragments.length; i++)
        {
            inject(fragments[i]);
        }
        requests++;
        s.stack.doWork(nowNs);
        return peer.receive(nowNs, onReply, 64);
    }

    private void onReply(final MutableDirectBuffer buffer, final int offset, final int length, final long now)
    {
        replies++;
        replyPayloadBytes += length - 14 - 20;
    }

    /** Every datagram measured came back whole, in the expected number of fragments. */
    @TearDown(Level.Iteration)
    public void checkEveryRequestWasAnswered()
    {
        if (replies != requests * replyFragments || replyPayloadBytes != requests * MESSAGE_LENGTH)
        {
            throw new IllegalStateException("requests " + requests + ", reply fragments " + replies
                + ", reply payload bytes " + replyPayloadBytes);
        }
    }
}
