package io.tapstack.udp;

import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.Ipv4Header;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.MacAddress;
import io.tapstack.wire.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static io.tapstack.udp.UdpFrames.fromPeer;
import static io.tapstack.udp.UdpFrames.pattern;
import static io.tapstack.udp.UdpFrames.udp;
import static io.tapstack.udp.UdpFrames.udpOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** RFC 768 and RFC 1122 §4.1.3 on one stack with a scripted peer: input checks, demultiplexing, queue, errors. */
class UdpLayerTest
{
    private static final int PORT = 5000;
    private static final int PEER_PORT = 40000;

    /** Records what an endpoint's handler is told. */
    private static final class Recorder implements UdpHandler
    {
        int readable;
        final List<int[]> icmpErrors = new ArrayList<>();

        @Override
        public void onReadable(final UdpEndpoint endpoint)
        {
            readable++;
        }

        @Override
        public void onIcmpError(final UdpEndpoint endpoint, final int type, final int code, final int remoteAddress,
            final int remotePort)
        {
            icmpErrors.add(new int[]{type, code, remoteAddress, remotePort});
        }
    }

    private SingleStack s;
    private final Recorder recorder = new Recorder();
    private final UnsafeBuffer rx = new UnsafeBuffer(new byte[UdpHeader.MAX_DATA_LENGTH]);

    @BeforeEach
    void learnPeer()
    {
        start(c -> c.icmpErrorsPerSecond(10).icmpErrorBurst(5));
    }

    private void start(final java.util.function.UnaryOperator<StackConfig> config)
    {
        s = new SingleStack(config);
        s.step();
        s.sent();
        s.learnPeer();
    }

    private long count(final Counter counter)
    {
        return s.stack.counters().get(counter);
    }

    private byte[] receive(final UdpEndpoint endpoint)
    {
        final int length = endpoint.receive(rx, 0, rx.capacity());
        assertTrue(length >= 0, "a datagram is queued");
        final byte[] data = new byte[length];
        rx.getBytes(0, data);
        return data;
    }

    // -------------------------------------------------------------------------------------------- delivery

    @Test
    void deliversADatagramToTheBoundPortWithItsSender()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] data = "hello, port 5000".getBytes();

        s.inject(fromPeer(PEER_PORT, PORT, data));

        assertEquals(1, recorder.readable);
        assertEquals(1, endpoint.queuedDatagrams());
        assertEquals(data.length, endpoint.queuedBytes());
        assertArrayEquals(data, receive(endpoint));
        assertEquals(PEER_IP, endpoint.lastRemoteAddress());
        assertEquals(PEER_PORT, endpoint.lastRemotePort());
        assertEquals(0, endpoint.queuedDatagrams());
        assertEquals(0, endpoint.queuedBytes());
        assertEquals(-1, endpoint.receive(rx, 0, rx.capacity()));
        assertTrue(s.sent().isEmpty());
        assertEquals(1, count(Counter.UDP_RX));
        assertEquals(1, count(Counter.UDP_RX_QUEUED));
    }

    @Test
    void queuedDatagramsComeOutInOrderEachWithItsOwnSender()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final int[] lengths = {0, 1, 7, 8, 1000, 1472};
        for (int i = 0; i < lengths.length; i++)
        {
            s.inject(fromPeer(PEER_PORT + i, PORT, pattern(lengths[i], i)));
        }
        assertEquals(lengths.length, recorder.readable);
        assertEquals(Arrays.stream(lengths).sum(), endpoint.queuedBytes());

        for (int i = 0; i < lengths.length; i++)
        {
            assertArrayEquals(pattern(lengths[i], i), receive(endpoint), "datagram " + i);
            assertEquals(PEER_PORT + i, endpoint.lastRemotePort());
            assertEquals(PEER_IP, endpoint.lastRemoteAddress());
        }
        assertEquals(-1, endpoint.receive(rx, 0, 100));
    }

    @Test
    void receiveTruncatesToMaxLengthAndDiscardsTheRest()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] data = pattern(100, 3);
        s.inject(fromPeer(PEER_PORT, PORT, data));
        s.inject(fromPeer(PEER_PORT, PORT, pattern(5, 4)));
        final byte[] fill = new byte[20];
        Arrays.fill(fill, (byte)0xA5);
        final UnsafeBuffer small = new UnsafeBuffer(fill.clone());

        assertEquals(100, endpoint.receive(small, 2, 10), "returns the full length, like recvfrom with MSG_TRUNC");

        assertArrayEquals(Arrays.copyOf(data, 10), Arrays.copyOfRange(small.byteArray(), 2, 12));
        assertEquals((byte)0xA5, small.getByte(12), "nothing past maxLength is written");
        assertEquals((byte)0xA5, small.getByte(1));
        assertEquals(1, endpoint.queuedDatagrams(), "the rest of the datagram is gone, the next one remains");
        assertArrayEquals(pattern(5, 4), receive(endpoint));
    }

    @Test
    void receiveIntoTooSmallABufferThrowsAndKeepsTheDatagram()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        s.inject(fromPeer(PEER_PORT, PORT, pattern(50, 1)));

        assertThrows(IndexOutOfBoundsException.class, () -> endpoint.receive(new UnsafeBuffer(new byte[8]), 0, 50));
        assertThrows(IndexOutOfBoundsException.class, () -> endpoint.receive(rx, 0, -1));

        assertArrayEquals(pattern(50, 1), receive(endpoint));
    }

    @Test
    void deliversBroadcastsToABoundPort()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final int subnetBroadcast = Ipv4Address.parse("10.0.0.255");
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, subnetBroadcast, IpProtocol.UDP, 1, 0,
            udp(PEER_IP, subnetBroadcast, PEER_PORT, PORT, pattern(10, 1))));
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, Ipv4Address.BROADCAST, IpProtocol.UDP, 2, 0,
            udp(PEER_IP, Ipv4Address.BROADCAST, PEER_PORT, PORT, pattern(11, 2))));

        assertEquals(2, endpoint.queuedDatagrams());
        assertArrayEquals(pattern(10, 1), receive(endpoint));
        assertArrayEquals(pattern(11, 2), receive(endpoint));
    }

    @Test
    void ignoresIpPayloadBeyondTheUdpLength()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] datagram = udp(PEER_IP, STACK_IP, PEER_PORT, PORT, pattern(3, 9));
        final byte[] padded = Arrays.copyOf(datagram, datagram.length + 5);
        Arrays.fill(padded, datagram.length, padded.length, (byte)0x77);

        s.inject(fromPeer(padded));

        assertArrayEquals(pattern(3, 9), receive(endpoint));
    }

    // -------------------------------------------------------------------------------------------- bad input

    @Test
    void dropsAndCountsABadChecksum()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] datagram = udp(PEER_IP, STACK_IP, PEER_PORT, PORT, pattern(20, 1));
        datagram[datagram.length - 1] ^= 0x01;

        s.inject(fromPeer(datagram));

        assertEquals(0, endpoint.queuedDatagrams());
        assertEquals(0, recorder.readable);
        assertEquals(1, count(Counter.UDP_DROP_BAD_CHECKSUM));
        assertTrue(s.sent().isEmpty(), "silently discarded (RFC 1122 §4.1.3.4): no ICMP");
    }

    @Test
    void dropsAndCountsALengthFieldBelowTheHeaderOrBeyondTheIpPayload()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        for (final int length : new int[]{0, 7, 8 + 20 + 1, 0xFFFF})
        {
            final byte[] datagram = udp(PEER_IP, STACK_IP, PEER_PORT, PORT, pattern(20, 1));
            new UdpHeader().wrap(new UnsafeBuffer(datagram), 0, datagram.length).length(length)
                .checksum(UdpHeader.NO_CHECKSUM);
            s.inject(fromPeer(datagram));
        }

        assertEquals(4, count(Counter.UDP_DROP_BAD_LENGTH));
        assertEquals(0, endpoint.queuedDatagrams());
        assertTrue(s.sent().isEmpty());
    }

    @Test
    void dropsAndCountsAnIpPayloadShorterThanAUdpHeader()
    {
        for (int length = 0; length < UdpHeader.HEADER_LENGTH; length++)
        {
            s.inject(fromPeer(Arrays.copyOf(udp(PEER_IP, STACK_IP, PEER_PORT, PORT, new byte[0]), length)));
        }

        assertEquals(8, count(Counter.UDP_DROP_TOO_SHORT));
        assertTrue(s.sent().isEmpty());
    }

    @Test
    void acceptsAZeroChecksumAsNone()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] datagram = udp(PEER_IP, STACK_IP, PEER_PORT, PORT, pattern(20, 1));
        new UdpHeader().wrap(new UnsafeBuffer(datagram), 0, datagram.length).checksum(UdpHeader.NO_CHECKSUM);

        s.inject(fromPeer(datagram));

        assertArrayEquals(pattern(20, 1), receive(endpoint));
        assertEquals(1, count(Counter.UDP_RX_NO_CHECKSUM));
    }

    // -------------------------------------------------------------------------------------------- closed port

    @Test
    void answersAClosedPortWithPortUnreachableQuotingTheDatagram()
    {
        final byte[] frame = fromPeer(PEER_PORT, 9, pattern(30, 5));

        s.inject(frame);

        final List<byte[]> out = s.sentRaw();
        assertEquals(1, out.size());
        assertTrue(Frames.checksumsVerify(out.get(0)));
        final Frames error = Frames.parse(out.get(0));
        assertEquals(STACK_IP, error.ipSource());
        assertEquals(PEER_IP, error.ipDestination());
        assertEquals(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, error.icmpType());
        assertEquals(IcmpMessage.CODE_PORT_UNREACHABLE, error.icmpCode());
        // RFC 792 / RFC 1812 §4.3.2.3: the offending IP header and its data (all of it: 20 + 8 + 30 < 548)
        assertArrayEquals(Arrays.copyOfRange(frame, 14, frame.length),
            Arrays.copyOfRange(error.l4(), IcmpMessage.HEADER_LENGTH, error.l4().length));
        assertEquals(1, count(Counter.UDP_TO_CLOSED_PORT));
        assertEquals(1, count(Counter.ICMP_ERRORS_TX));
    }

    @Test
    void neverAnswersABroadcastToAClosedPort()
    {
        final int subnetBroadcast = Ipv4Address.parse("10.0.0.255");
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, subnetBroadcast, IpProtocol.UDP, 1, 0,
            udp(PEER_IP, subnetBroadcast, PEER_PORT, 9, new byte[4])));
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, Ipv4Address.BROADCAST, IpProtocol.UDP, 2, 0,
            udp(PEER_IP, Ipv4Address.BROADCAST, PEER_PORT, 9, new byte[4])));
        // RFC 1122 §3.2.2: nor for a unicast IP datagram that came in a link-layer broadcast
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.UDP, 3, 0,
            udp(PEER_IP, STACK_IP, PEER_PORT, 9, new byte[4])));

        assertTrue(s.sent().isEmpty());
        assertEquals(3, count(Counter.UDP_TO_CLOSED_PORT));
        assertEquals(0, count(Counter.ICMP_ERRORS_TX));
    }

    @Test
    void portUnreachableIsRateLimited()
    {
        for (int i = 0; i < 20; i++)
        {
            s.inject(fromPeer(PEER_PORT, 9, new byte[8]));
        }

        assertEquals(5, s.sent().size(), "burst of 5");
        assertEquals(20, count(Counter.UDP_TO_CLOSED_PORT));
        assertEquals(15, count(Counter.ICMP_ERRORS_RATE_LIMITED));
        // 10 per second: 200 ms later two more tokens
        s.advance(200_000_000L);
        for (int i = 0; i < 5; i++)
        {
            s.inject(fromPeer(PEER_PORT, 9, new byte[8]));
        }
        assertEquals(2, s.sent().size());
    }

    // -------------------------------------------------------------------------------------------- queue bound

    @Test
    void aFullQueueDropsAndCountsUntilTheReaderMakesRoom()
    {
        start(c -> c.udpReceiveQueueBytes(StackConfig.MIN_UDP_RECEIVE_QUEUE_BYTES));
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        // each 1,000-byte datagram takes 1,016 bytes of the 65,536: 64 fit
        for (int i = 0; i < 70; i++)
        {
            s.inject(fromPeer(PEER_PORT, PORT, pattern(1000, i)));
        }

        assertEquals(64, endpoint.queuedDatagrams());
        assertEquals(64_000, endpoint.queuedBytes());
        assertEquals(6, endpoint.drops());
        assertEquals(6, count(Counter.UDP_RX_QUEUE_FULL_DROPS));
        assertEquals(64, recorder.readable);
        assertTrue(s.sent().isEmpty(), "a full queue is not a closed port");

        assertArrayEquals(pattern(1000, 0), receive(endpoint));
        s.inject(fromPeer(PEER_PORT, PORT, pattern(1000, 99)));
        assertEquals(64, endpoint.queuedDatagrams());
        for (int i = 1; i < 64; i++)
        {
            assertArrayEquals(pattern(1000, i), receive(endpoint), "datagram " + i);
        }
        assertArrayEquals(pattern(1000, 99), receive(endpoint));
        assertEquals(6, endpoint.drops());
    }

    @Test
    void theSmallestQueueAlwaysTakesOneLargestDatagram()
    {
        start(c -> c.udpReceiveQueueBytes(StackConfig.MIN_UDP_RECEIVE_QUEUE_BYTES));
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        // leave the ring's tail in the middle, then empty it
        injectFragmented(76, udp(PEER_IP, STACK_IP, PEER_PORT, PORT, pattern(30_000, 1)));
        receive(endpoint);
        injectFragmented(77, udp(PEER_IP, STACK_IP, PEER_PORT, PORT, pattern(UdpHeader.MAX_DATA_LENGTH, 2)));

        assertEquals(1, endpoint.queuedDatagrams());
        assertArrayEquals(pattern(UdpHeader.MAX_DATA_LENGTH, 2), receive(endpoint));
        assertEquals(0, endpoint.drops());
    }

    private void injectFragmented(final int id, final byte[] datagram)
    {
        for (final byte[] fragment : Frames.fragments(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.UDP, id,
            datagram, 1480))
        {
            s.inject(fragment);
        }
    }

    // -------------------------------------------------------------------------------------------- binding

    @Test
    void closeUnbindsThePortWhichThenAnswersPortUnreachable()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        s.inject(fromPeer(PEER_PORT, PORT, pattern(10, 1)));

        endpoint.close();
        endpoint.close();

        assertTrue(endpoint.isClosed());
        assertEquals(0, s.stack.udp().endpointCount());
        assertEquals(0, endpoint.queuedDatagrams(), "close discards what was queued");
        assertEquals(-1, endpoint.receive(rx, 0, 100));
        s.inject(fromPeer(PEER_PORT, PORT, pattern(10, 2)));
        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        assertEquals(IcmpMessage.CODE_PORT_UNREACHABLE, out.get(0).icmpCode());
        assertFalse(endpoint.send(PEER_IP, PEER_PORT, rx, 0, 1, s.clock.nanoTime()), "a closed endpoint cannot send");
        assertEquals(1, count(Counter.UDP_TX_INVALID));
        assertEquals(1, recorder.readable);

        final UdpEndpoint again = s.stack.udp().bind(PORT, recorder);
        assertNotNull(again, "the port is free again");
        endpoint.close();
        assertEquals(1, s.stack.udp().endpointCount(), "closing the old endpoint again leaves the new one bound");
    }

    @Test
    void bindingAPortInUseReturnsNull()
    {
        assertNotNull(s.stack.udp().bind(PORT, recorder));

        assertNull(s.stack.udp().bind(PORT, recorder));

        assertEquals(1, count(Counter.UDP_BIND_CONFLICTS));
        assertEquals(1, s.stack.udp().endpointCount());
    }

    @Test
    void portZeroBindsDistinctEphemeralPorts()
    {
        final Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 200; i++)
        {
            final UdpEndpoint endpoint = s.stack.udp().bind(0, recorder);
            assertNotNull(endpoint);
            assertTrue(endpoint.localPort() >= 49152 && endpoint.localPort() <= 65535, "port " + endpoint.localPort());
            ports.add(endpoint.localPort());
        }
        assertEquals(200, ports.size());
        assertEquals(200, s.stack.udp().endpointCount());
        assertThrows(IllegalArgumentException.class, () -> s.stack.udp().bind(65536, recorder));
        assertThrows(IllegalArgumentException.class, () -> s.stack.udp().bind(-1, recorder));
    }

    @Test
    void theEndpointLimitIsEnforcedAndCounted()
    {
        start(c -> c.udpMaxEndpoints(3));
        final UdpEndpoint first = s.stack.udp().bind(1, recorder);
        assertNotNull(s.stack.udp().bind(2, recorder));
        assertNotNull(s.stack.udp().bind(0, recorder));

        assertNull(s.stack.udp().bind(4, recorder));
        assertNull(s.stack.udp().bind(0, recorder));

        assertEquals(2, count(Counter.UDP_ENDPOINT_LIMIT));
        first.close();
        assertNotNull(s.stack.udp().bind(4, recorder));
    }

    @Test
    void configRejectsAQueueTooSmallForOneLargestDatagramAndAZeroEndpointLimit()
    {
        assertThrows(IllegalArgumentException.class, () -> new StackConfig().ipAddress("10.0.0.2/24")
            .udpReceiveQueueBytes(StackConfig.MIN_UDP_RECEIVE_QUEUE_BYTES - 1).validate());
        assertThrows(IllegalArgumentException.class, () -> new StackConfig().ipAddress("10.0.0.2/24")
            .udpMaxEndpoints(0).validate());
        final StackConfig defaults = new StackConfig().ipAddress("10.0.0.2/24").validate();
        assertEquals(256 * 1024, defaults.udpReceiveQueueBytes());
        assertEquals(1024, defaults.udpMaxEndpoints());
    }

    // -------------------------------------------------------------------------------------------- output

    @Test
    void sendsADatagramFromTheBoundPortWithAChecksumThatVerifies()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] data = pattern(333, 8);
        final UnsafeBuffer src = new UnsafeBuffer(new byte[400]);
        src.putBytes(17, data);

        assertTrue(endpoint.send(PEER_IP, PEER_PORT, src, 17, data.length, s.clock.nanoTime()));

        final List<Frames> out = s.sent();
        assertEquals(1, out.size());
        final Frames frame = out.get(0);
        assertEquals(PEER_MAC, frame.ethDestination());
        assertEquals(IpProtocol.UDP, frame.ipProtocol());
        assertEquals(STACK_IP, frame.ipSource());
        assertEquals(PEER_IP, frame.ipDestination());
        final UdpHeader udp = udpOf(frame);
        assertEquals(UdpHeader.Verdict.OK, udp.validate(STACK_IP, PEER_IP));
        assertTrue(udp.checksum() != UdpHeader.NO_CHECKSUM, "we always send a checksum");
        assertEquals(PORT, udp.sourcePort());
        assertEquals(PEER_PORT, udp.destinationPort());
        assertEquals(8 + data.length, udp.length());
        assertArrayEquals(data, Arrays.copyOfRange(frame.l4(), 8, frame.l4().length));
        assertEquals(1, count(Counter.UDP_TX));
    }

    @Test
    void refusesAndCountsADatagramTooBigOrToPortZero()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final UnsafeBuffer src = new UnsafeBuffer(new byte[70_000]);

        assertFalse(endpoint.send(PEER_IP, PEER_PORT, src, 0, UdpHeader.MAX_DATA_LENGTH + 1, s.clock.nanoTime()));
        assertFalse(endpoint.send(PEER_IP, 0, src, 0, 10, s.clock.nanoTime()));
        assertThrows(IndexOutOfBoundsException.class, () -> endpoint.send(PEER_IP, PEER_PORT, src, 69_990, 20, s.clock.nanoTime()));

        assertTrue(s.sent().isEmpty());
        assertEquals(1, count(Counter.UDP_TX_TOO_BIG));
        assertEquals(1, count(Counter.UDP_TX_INVALID));
        assertEquals(0, count(Counter.UDP_TX));
        assertTrue(endpoint.send(PEER_IP, PEER_PORT, src, 0, 10, s.clock.nanoTime()), "and the next datagram still goes");
    }

    @Test
    void countsAFailedSendWithNoRoute()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);

        assertFalse(endpoint.send(Ipv4Address.parse("192.0.2.7"), 53, rx, 0, 10, s.clock.nanoTime()));

        assertEquals(1, count(Counter.UDP_TX_FAILED));
        assertEquals(1, count(Counter.IP_TX_NO_ROUTE));
    }

    // -------------------------------------------------------------------------------------------- ICMP errors in

    /** An ICMP error from the peer quoting {@code quoted} (an IP packet) cut to {@code quoteLength} bytes. */
    private static byte[] icmpErrorQuoting(final int type, final int code, final byte[] quoted, final int quoteLength)
    {
        final byte[] quote = Arrays.copyOf(quoted, Math.min(quoteLength, quoted.length));
        return Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.ICMP, 5, 0,
            Frames.icmp(type, code, 0, 0, quote));
    }

    private byte[] sendAndCaptureIpPacket(final UdpEndpoint endpoint, final int remotePort)
    {
        assertTrue(endpoint.send(PEER_IP, remotePort, rx, 0, 40, s.clock.nanoTime()));
        final byte[] frame = s.sentRaw().get(0);
        return Arrays.copyOfRange(frame, 14, frame.length);
    }

    @Test
    void portUnreachableAboutOurDatagramReachesTheEndpoint()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] sent = sendAndCaptureIpPacket(endpoint, 53);

        // RFC 792: the header and the first 8 data bytes are enough
        s.inject(icmpErrorQuoting(IcmpMessage.TYPE_DESTINATION_UNREACHABLE, IcmpMessage.CODE_PORT_UNREACHABLE, sent,
            Ipv4Header.MIN_HEADER_LENGTH + 8));

        assertEquals(1, recorder.icmpErrors.size());
        assertArrayEquals(new int[]{3, 3, PEER_IP, 53}, recorder.icmpErrors.get(0));
        assertEquals(1, count(Counter.UDP_ICMP_ERRORS_RX));
        assertTrue(s.sent().isEmpty(), "never an error about an error");
    }

    @Test
    void timeExceededAboutOurDatagramReachesTheEndpointToo()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] sent = sendAndCaptureIpPacket(endpoint, 53);

        s.inject(icmpErrorQuoting(IcmpMessage.TYPE_TIME_EXCEEDED, IcmpMessage.CODE_TTL_EXCEEDED, sent, sent.length));

        assertArrayEquals(new int[]{11, 0, PEER_IP, 53}, recorder.icmpErrors.get(0));
    }

    @Test
    void icmpErrorsThatMatchNoEndpointOrQuoteTooLittleAreIgnored()
    {
        final UdpEndpoint endpoint = s.stack.udp().bind(PORT, recorder);
        final byte[] sent = sendAndCaptureIpPacket(endpoint, 53);
        endpoint.close();
        assertNotNull(s.stack.udp().bind(PORT + 1, recorder));

        // about a port no longer bound
        s.inject(icmpErrorQuoting(3, 3, sent, sent.length));
        // too short to hold the UDP ports
        s.inject(icmpErrorQuoting(3, 3, sent, Ipv4Header.MIN_HEADER_LENGTH + 7));
        // about a datagram some other host sent
        final byte[] notOurs = Frames.ipv4(PEER_MAC, STACK_MAC, Ipv4Address.parse("10.0.0.9"), PEER_IP,
            IpProtocol.UDP, 1, 0, udp(Ipv4Address.parse("10.0.0.9"), PEER_IP, PORT + 1, 53, new byte[4]));
        s.inject(icmpErrorQuoting(3, 3, Arrays.copyOfRange(notOurs, 14, notOurs.length), 100));
        // sent to a broadcast address
        s.inject(Frames.ipv4(MacAddress.BROADCAST, PEER_MAC, PEER_IP, Ipv4Address.BROADCAST, IpProtocol.ICMP, 6, 0,
            Frames.icmp(3, 3, 0, 0, sent)));

        assertTrue(recorder.icmpErrors.isEmpty());
        assertEquals(2, count(Counter.UDP_ICMP_ERRORS_UNMATCHED));
        assertEquals(4, count(Counter.ICMP_ERRORS_RX));
        assertTrue(s.sent().isEmpty());
    }
}
