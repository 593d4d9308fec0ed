package io.tapstack;

import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.IpProtocol;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

import java.util.List;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Bad input never escapes a layer: random and mutated frames are counted and dropped, never thrown. */
class NetStackFuzzProperties
{
    @Property(tries = 300)
    void randomFramesNeverThrow(@ForAll @Size(max = 40) final List<@Size(max = 1514) byte[]> frames)
    {
        final SingleStack s = new SingleStack();
        for (final byte[] frame : frames)
        {
            s.inject(frame);
        }
        s.advance(60_000_000_000L);
        s.sentRaw();
    }

    @Property(tries = 500)
    void mutatedValidFramesNeverThrowAndRepliesAreWellFormed(
        @ForAll("validFrames") final byte[] frame,
        @ForAll @IntRange(min = 0, max = 1513) final int position,
        @ForAll final byte value,
        @ForAll @IntRange(min = 0, max = 1514) final int truncateTo)
    {
        final SingleStack s = new SingleStack(c -> c.icmpErrorBurst(1000).answerBroadcastPing(true));
        s.learnPeer();
        final byte[] mutated = frame.clone();
        mutated[position % mutated.length] = value;
        s.inject(mutated);
        s.inject(java.util.Arrays.copyOf(frame, Math.min(truncateTo, frame.length)));
        s.advance(60_000_000_000L);
        for (final byte[] out : s.sentRaw())
        {
            final Frames f = Frames.parse(out);
            if (f.isIcmp())
            {
                assertTrue(Frames.checksumsVerify(out), "the stack sent a frame with a bad checksum");
            }
        }
    }

    @Provide
    Arbitrary<byte[]> validFrames()
    {
        final Arbitrary<byte[]> data = Arbitraries.bytes().array(byte[].class).ofMaxSize(1400);
        final Arbitrary<byte[]> echo = data.map(d -> Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP,
            IpProtocol.ICMP, 1, 0, Frames.icmp(IcmpMessage.TYPE_ECHO_REQUEST, 0, 1, 1, d)));
        final Arbitrary<byte[]> fragment = data.map(d -> Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP,
            IpProtocol.ICMP, 9, 0x2000 | 3, java.util.Arrays.copyOf(d, d.length & ~7)));
        final Arbitrary<byte[]> arp = Arbitraries.integers().map(ip -> Frames.arp(1, STACK_MAC, PEER_MAC, ip, 0, STACK_IP));
        final Arbitrary<byte[]> otherProtocol = data.map(d -> Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP,
            200, 3, 0, d));
        return Arbitraries.oneOf(echo, fragment, arp, otherProtocol);
    }
}
