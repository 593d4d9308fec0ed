package io.tapstack.udp;

import io.tapstack.NetStack;
import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.testkit.TwoStacks.SECOND;
import static io.tapstack.udp.UdpFrames.pattern;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Two stacks over a memory link: datagrams of every interesting size both ways, and ICMP errors back. */
class UdpTwoStackTest
{
    private static final int A = Ipv4Address.parse("10.0.0.1");
    private static final int B = Ipv4Address.parse("10.0.0.2");

    private final TwoStacks net = new TwoStacks();
    private final UnsafeBuffer src = new UnsafeBuffer(new byte[UdpHeader.MAX_DATA_LENGTH + 1]);
    private final UnsafeBuffer dst = new UnsafeBuffer(new byte[UdpHeader.MAX_DATA_LENGTH]);

    private record IcmpError(int type, int code, int remoteAddress, int remotePort)
    {
    }

    private static final class Handler implements UdpHandler
    {
        final List<IcmpError> errors = new ArrayList<>();

        @Override
        public void onReadable(final UdpEndpoint endpoint)
        {
        }

        @Override
        public void onIcmpError(final UdpEndpoint endpoint, final int type, final int code, final int remoteAddress,
            final int remotePort)
        {
            errors.add(new IcmpError(type, code, remoteAddress, remotePort));
        }
    }

    /** Sends {@code data} from {@code from} to {@code to} and returns what arrived there. */
    private byte[] roundTrip(final UdpEndpoint from, final int toAddress, final UdpEndpoint to, final byte[] data)
    {
        src.putBytes(0, data);
        assertTrue(from.send(toAddress, to.localPort(), src, 0, data.length, net.nowNs()));
        assertTrue(net.runUntil(() -> to.queuedDatagrams() == 1, SECOND), "the datagram arrives");
        final int length = to.receive(dst, 0, dst.capacity());
        final byte[] received = new byte[length];
        dst.getBytes(0, received);
        assertEquals(from.localPort(), to.lastRemotePort());
        return received;
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 1472, 1473, 4000, 65_507})
    void datagramsArriveIntactBothWays(final int length)
    {
        final UdpEndpoint a = net.a.udp().bind(0, new Handler());
        final UdpEndpoint b = net.b.udp().bind(5353, new Handler());
        final byte[] data = pattern(length, length);

        assertArrayEquals(data, roundTrip(a, B, b, data), "A to B");
        assertEquals(A, b.lastRemoteAddress());
        final byte[] back = pattern(length, length + 1);
        assertArrayEquals(back, roundTrip(b, A, a, back), "B to A");
        assertEquals(B, a.lastRemoteAddress());

        // 1,472 data bytes + 8 + 20 fill a 1,500-byte MTU exactly; one more byte needs two fragments
        final long fragments = length <= 1472 ? 0 : (UdpHeader.HEADER_LENGTH + length + 1479) / 1480;
        for (final NetStack stack : List.of(net.a, net.b))
        {
            assertEquals(1, stack.counters().get(Counter.UDP_TX));
            assertEquals(1, stack.counters().get(Counter.UDP_RX_QUEUED));
            assertEquals(fragments, stack.counters().get(Counter.IP_FRAGMENTS_TX));
            assertEquals(fragments == 0 ? 0 : 1, stack.counters().get(Counter.IP_REASSEMBLED));
        }
        assertTrue(net.capture.all().stream().allMatch(f -> f.bytes().length <= 1514));
    }

    @Test
    void aDatagramOneByteTooBigIsRefusedAndCounted()
    {
        final UdpEndpoint a = net.a.udp().bind(0, new Handler());
        net.runFor(10 * TwoStacks.MS);
        net.capture.clear();

        assertFalse(a.send(B, 5353, src, 0, UdpHeader.MAX_DATA_LENGTH + 1, net.nowNs()));

        net.runFor(SECOND);
        assertEquals(1, net.a.counters().get(Counter.UDP_TX_TOO_BIG));
        assertEquals(0, net.a.counters().get(Counter.UDP_TX));
        assertTrue(net.capture.all().stream().noneMatch(f -> f.view().ipProtocol() == IpProtocol.UDP));
    }

    @Test
    void portUnreachableFromThePeerReachesOnIcmpError()
    {
        final Handler handler = new Handler();
        final UdpEndpoint a = net.a.udp().bind(0, handler);

        src.putBytes(0, "anyone on 9999?".getBytes());
        assertTrue(a.send(B, 9999, src, 0, 15, net.nowNs()));
        assertTrue(net.runUntil(() -> !handler.errors.isEmpty(), SECOND));

        assertEquals(List.of(new IcmpError(IcmpMessage.TYPE_DESTINATION_UNREACHABLE,
            IcmpMessage.CODE_PORT_UNREACHABLE, B, 9999)), handler.errors);
        assertEquals(1, net.b.counters().get(Counter.UDP_TO_CLOSED_PORT));
        assertEquals(1, net.a.counters().get(Counter.UDP_ICMP_ERRORS_RX));
        // the endpoint stays usable (RFC 1122 §4.1.3.3 reports the error; it does not close anything)
        final UdpEndpoint b = net.b.udp().bind(9999, new Handler());
        assertArrayEquals(Arrays.copyOf("anyone on 9999?".getBytes(), 15),
            roundTrip(a, B, b, "anyone on 9999?".getBytes()));
    }

    @Test
    void aLargeDatagramToAClosedPortIsAnsweredOnceItIsReassembled()
    {
        final Handler handler = new Handler();
        final UdpEndpoint a = net.a.udp().bind(0, handler);

        assertTrue(a.send(B, 9999, src, 0, 10_000, net.nowNs()));
        assertTrue(net.runUntil(() -> !handler.errors.isEmpty(), SECOND));

        assertEquals(new IcmpError(3, 3, B, 9999), handler.errors.get(0));
        assertEquals(1, net.b.counters().get(Counter.ICMP_ERRORS_TX));
    }
}
