package io.tapstack.testkit;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.MemoryLink;
import io.tapstack.time.ManualClock;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One stack (10.0.0.2/24) and a scripted peer (10.0.0.1, MAC 02:00:00:00:00:01) on the other end of a
 * zero-latency link, in manual time: the test injects frames, moves time, and asserts what came out.
 */
public final class SingleStack
{
    public static final int PEER_IP = Ipv4Address.parse("10.0.0.1");
    public static final long PEER_MAC = MacAddress.parse("02:00:00:00:00:01");
    public static final int STACK_IP = Ipv4Address.parse("10.0.0.2");
    public static final long STACK_MAC = MacAddress.parse("02:00:00:00:00:02");

    public final ManualClock clock = new ManualClock(1_000_000_000_000L);
    public final MemoryLink link = new MemoryLink(clock, 0, 8192, 1514);
    public final NetStack stack;
    private final FrameDevice peer = link.endB();

    public SingleStack()
    {
        this(c -> c);
    }

    public SingleStack(final UnaryOperator<StackConfig> config)
    {
        stack = new NetStack(config.apply(new StackConfig().ipAddress("10.0.0.2/24").macAddress(STACK_MAC).seed(7)
            .repeatableSecrets(true)),
            link.endA());
    }

    /** Sends a frame to the stack and runs one duty cycle. */
    public void inject(final byte[] frame)
    {
        queue(frame);
        stack.doWork(clock.nanoTime());
    }

    /** Sends a frame to the stack without running a duty cycle: the next {@link #step} reads every frame queued. */
    public void queue(final byte[] frame)
    {
        final int offset = peer.claim(frame.length);
        if (offset < 0)
        {
            throw new IllegalStateException("link full");
        }
        peer.transmitBuffer().putBytes(offset, frame);
        peer.commit(offset);
    }

    /**
     * {@code n} times: injects {@code a} or {@code b} (alternating, {@code a} first) and hands what the stack sent
     * back to {@code sent} (up to 16 frames each time). Allocates nothing itself: the loop of the zero-allocation
     * tests.
     */
    public void exchange(final byte[] a, final byte[] b, final int n, final io.tapstack.dev.FrameHandler sent)
    {
        for (int i = 0; i < n; i++)
        {
            inject((i & 1) == 0 ? a : b);
            peer.receive(Long.MAX_VALUE, sent, 16);
        }
    }

    /** Runs one duty cycle now. */
    public int step()
    {
        return stack.doWork(clock.nanoTime());
    }

    /** Moves time forward in steps to each deadline up to {@code durationNs}, running duty cycles. */
    public void advance(final long durationNs)
    {
        final long end = clock.nanoTime() + durationNs;
        stack.doWork(clock.nanoTime());
        while (true)
        {
            final long next = stack.nextDeadlineNs();
            if (next > end)
            {
                clock.setNs(end);
                stack.doWork(end);
                return;
            }
            clock.setNs(Math.max(next, clock.nanoTime()));
            stack.doWork(clock.nanoTime());
        }
    }

    /** Every frame the stack sent since the last call, parsed. */
    public List<Frames> sent()
    {
        final List<Frames> out = new ArrayList<>();
        for (final byte[] raw : sentRaw())
        {
            out.add(Frames.parse(raw));
        }
        return out;
    }

    /** Every frame the stack sent since the last call, as bytes. */
    public List<byte[]> sentRaw()
    {
        final List<byte[]> out = new ArrayList<>();
        peer.receive(Long.MAX_VALUE, (buffer, offset, length, now) ->
        {
            final byte[] copy = new byte[length];
            buffer.getBytes(offset, copy);
            out.add(copy);
        }, Integer.MAX_VALUE);
        return out;
    }

    /** Teaches the stack the peer's MAC by an ARP request from the peer, and discards the reply. */
    public void learnPeer()
    {
        inject(Frames.arp(1, MacAddress.BROADCAST, PEER_MAC, PEER_IP, 0, STACK_IP));
        sent();
    }
}
