package io.tapstack.forward.dns;

import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.EtherType;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.UdpHeader;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;

/**
 * The DNS forwarder on a {@link SingleStack} in manual time, a scripted guest at 10.0.0.1 sending queries as UDP
 * frames, and fake resolvers: UDP sockets of the test's own on 127.0.0.1 that the test reads and answers by hand.
 * Host sockets are real, so a step that waits for the kernel loops on the forwarder's {@code doWork} for at most
 * a few seconds of wall time (loopback delivers at once; no sleeps). Tests only.
 */
final class DnsPeer implements AutoCloseable
{
    static final int GUEST_PORT = 40000;

    final SingleStack s = new SingleStack();
    final List<DatagramChannel> resolvers = new ArrayList<>();
    final DnsForwarder forwarder;

    DnsPeer(final int resolverCount, final UnaryOperator<DnsForwarderConfig> config) throws IOException
    {
        final List<InetSocketAddress> addresses = new ArrayList<>();
        for (int i = 0; i < resolverCount; i++)
        {
            final DatagramChannel resolver = DatagramChannel.open().bind(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            resolver.configureBlocking(false);
            resolvers.add(resolver);
            addresses.add((InetSocketAddress)resolver.getLocalAddress());
        }
        forwarder = DnsForwarder.install(s.stack, config.apply(new DnsForwarderConfig().resolvers(addresses)
            .attemptTimeoutNs(2_000_000_000L).attempts(2)));
        s.learnPeer();
        s.step();
        s.sent();
    }

    /** A query for {@code name}, type A, class IN, RD set. */
    static byte[] query(final int id, final String name)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0});
        for (final String label : name.split("\\."))
        {
            out.write(label.length());
            out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.writeBytes(new byte[] {0, 0, 1, 0, 1});
        return out.toByteArray();
    }

    /** The answer a resolver gives {@code query}: one A record of {@code address}, padded with TXT-free bytes. */
    static byte[] answer(final byte[] query, final int queryLength, final byte[] address, final boolean truncated)
    {
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(query, 0, queryLength);
        final byte[] a = out.toByteArray();
        a[2] = (byte)(0x81 | (truncated ? 0x02 : 0)); // QR, RD (TC)
        a[3] = (byte)0x80; // RA
        a[7] = 1; // ANCOUNT
        final ByteArrayOutputStream full = new ByteArrayOutputStream();
        full.writeBytes(a);
        full.writeBytes(new byte[] {(byte)0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4});
        full.writeBytes(address);
        return full.toByteArray();
    }

    long now()
    {
        return s.clock.nanoTime();
    }

    /** The guest sends {@code dns} from 10.0.0.1:{@code GUEST_PORT} to the stack's port 53; the forwarder runs. */
    void guestSends(final byte[] dns)
    {
        final byte[] udp = new byte[UdpHeader.HEADER_LENGTH + dns.length];
        final UnsafeBuffer b = new UnsafeBuffer(udp);
        b.putBytes(UdpHeader.HEADER_LENGTH, dns);
        new UdpHeader().wrap(b, 0, udp.length).sourcePort(GUEST_PORT).destinationPort(DnsForwarder.PORT)
            .length(udp.length).updateChecksum(SingleStack.PEER_IP, SingleStack.STACK_IP);
        s.inject(Frames.ipv4(SingleStack.STACK_MAC, SingleStack.PEER_MAC, SingleStack.PEER_IP, SingleStack.STACK_IP,
            IpProtocol.UDP, 1, 0, udp));
        forwarder.doWork(now());
    }

    /** What a resolver received: the query and where it came from. */
    record Received(byte[] bytes, int length, SocketAddress from)
    {
        int id()
        {
            return ((bytes[0] & 0xFF) << 8) | (bytes[1] & 0xFF);
        }
    }

    /** Runs the forwarder until resolver {@code index} has a query (3 s of wall time at most). */
    Received resolverReceives(final int index) throws IOException
    {
        final ByteBuffer buffer = ByteBuffer.allocate(65535);
        final SocketAddress[] from = new SocketAddress[1];
        until(() ->
        {
            try
            {
                from[0] = resolvers.get(index).receive(buffer);
                return from[0] != null;
            }
            catch (final IOException ex)
            {
                throw new AssertionError(ex);
            }
        });
        return new Received(buffer.array(), buffer.position(), from[0]);
    }

    /** Nothing arrived at resolver {@code index}. */
    boolean resolverIsQuiet(final int index) throws IOException
    {
        forwarder.doWork(now());
        return resolvers.get(index).receive(ByteBuffer.allocate(65535)) == null;
    }

    void resolverAnswers(final int index, final byte[] answer, final SocketAddress to) throws IOException
    {
        resolvers.get(index).send(ByteBuffer.wrap(answer), to);
    }

    /** The UDP payloads the stack sent to the guest since the last call. */
    List<byte[]> guestReceived()
    {
        final List<byte[]> out = new ArrayList<>();
        for (final Frames f : s.sent())
        {
            if (f.etherType() == EtherType.IPV4 && f.ipProtocol() == IpProtocol.UDP)
            {
                final UnsafeBuffer b = new UnsafeBuffer(f.l4());
                final UdpHeader h = new UdpHeader().wrap(b, 0, f.l4().length);
                if (h.destinationPort() != GUEST_PORT || h.sourcePort() != DnsForwarder.PORT)
                {
                    throw new AssertionError("a datagram to the wrong port: " + h.sourcePort() + "->" + h.destinationPort());
                }
                final byte[] dns = new byte[h.length() - UdpHeader.HEADER_LENGTH];
                b.getBytes(UdpHeader.HEADER_LENGTH, dns);
                out.add(dns);
            }
        }
        return out;
    }

    /** Runs the forwarder until the guest got one datagram (3 s of wall time at most), and returns it. */
    byte[] guestReceivesOne()
    {
        final List<byte[]> got = new ArrayList<>();
        until(() ->
        {
            got.addAll(guestReceived());
            return !got.isEmpty();
        });
        if (got.size() != 1)
        {
            throw new AssertionError("the guest got " + got.size() + " datagrams");
        }
        return got.get(0);
    }

    /** Calls the forwarder's doWork (manual time standing still) until {@code done}, for 3 s of wall time at most. */
    void until(final BooleanSupplier done)
    {
        final long giveUp = System.nanoTime() + 3_000_000_000L;
        while (!done.getAsBoolean())
        {
            if (System.nanoTime() - giveUp > 0)
            {
                throw new AssertionError("timed out waiting on a host socket");
            }
            forwarder.doWork(now());
            s.step();
            Thread.onSpinWait();
        }
    }

    static int id(final byte[] dns)
    {
        return new UnsafeBuffer(dns).getShort(0, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    static int rcode(final byte[] dns)
    {
        return dns[3] & 0x0F;
    }

    static int flags(final byte[] dns)
    {
        return new UnsafeBuffer(dns).getShort(2, ByteOrder.BIG_ENDIAN) & 0xFFFF;
    }

    @Override
    public void close() throws IOException
    {
        forwarder.close();
        for (final DatagramChannel r : resolvers)
        {
            r.close();
        }
    }
}
