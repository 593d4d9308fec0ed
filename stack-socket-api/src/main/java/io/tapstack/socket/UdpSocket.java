package io.tapstack.socket;

import io.tapstack.udp.UdpEndpoint;
import io.tapstack.udp.UdpHandler;
import io.tapstack.wire.IcmpMessage;
import io.tapstack.wire.Ipv4Address;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

import java.io.IOException;
import java.lang.invoke.VarHandle;
import java.net.BindException;
import java.net.InetAddress;
import java.net.PortUnreachableException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A UDP socket (RFC 768) as an application sees it, the counterpart of {@code java.net.DatagramSocket}. Sends
 * go to the stack as commands carrying the payload; received datagrams wait in a bounded ring (beyond it, in the
 * stack's bounded endpoint queue, and beyond that they are dropped and counted).
 *
 * <p>As with {@code java.net.DatagramSocket}: an unconnected socket (a server) sends anywhere and receives from
 * anyone, and ICMP errors caused by its sends are not reported (one client's closed port must not fail a
 * server's receive loop; they are counted by the stack). After {@link #connect(int, int)} it sends to and
 * receives from that peer only, and an ICMP port unreachable from it makes the next receive throw
 * {@link PortUnreachableException} (RFC 1122 §4.1.3.3).
 */
public final class UdpSocket implements AutoCloseable
{
    /** The largest UDP payload over IPv4: 65,535 - 20 (IPv4 header) - 8 (UDP header). */
    public static final int MAX_PAYLOAD = 65_507;
    private static final int DATAGRAM = 1;
    private static final int ERROR = 2;
    private static final int ADDRESS_OFFSET = 0;
    private static final int PORT_OFFSET = 4;
    private static final int PAYLOAD_OFFSET = 8;

    /** One received datagram. */
    public record Datagram(int address, int port, byte[] data)
    {
        /** The sender's address as java.net's {@link InetAddress}. */
        public InetAddress inetAddress()
        {
            return InetAddresses.toInet(address);
        }

        @Override
        public String toString()
        {
            return data.length + " bytes from " + Ipv4Address.toString(address) + ":" + port;
        }

        @Override
        public boolean equals(final Object o)
        {
            return o instanceof Datagram d && d.address == address && d.port == port && Arrays.equals(d.data, data);
        }

        @Override
        public int hashCode()
        {
            return 31 * (31 * address + port) + Arrays.hashCode(data);
        }
    }

    private final SocketStack owner;
    private final int id;
    private final Readiness readiness;
    private final OneToOneRingBuffer receiveRing;
    private final AtomicBoolean receiveBlocked = new AtomicBoolean();
    private final UnsafeBuffer sendSource = new UnsafeBuffer(0, 0);
    private final Object readLock = new Object();
    private final MessageHandler takeDatagram = this::takeDatagram;
    private Datagram taken;
    private IOException takenError;
    private volatile boolean bound;
    private volatile int localPort;
    private volatile IOException failure;
    private volatile boolean closed;
    /** The connected peer, or 0 (address) / 0 (port) when unconnected; read by the stack thread. */
    private volatile int connectedAddress;
    private volatile int connectedPort;

    // stack thread only
    /** UDP's callbacks, kept off this class's public methods. */
    private final UdpHandler handler = new Handler();
    private UdpEndpoint endpoint;
    private final UnsafeBuffer scratch = new UnsafeBuffer(new byte[MAX_PAYLOAD]);

    UdpSocket(final SocketStack owner, final int id, final int ringBytes)
    {
        this.owner = owner;
        this.id = id;
        this.readiness = owner.newReadiness();
        this.receiveRing = new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(ringBytes + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    int id()
    {
        return id;
    }

    public int localPort()
    {
        return localPort;
    }

    public int localAddress()
    {
        return owner.address();
    }

    /** The stack's own address as java.net's {@link InetAddress}. */
    public InetAddress localInetAddress()
    {
        return InetAddresses.toInet(owner.address());
    }

    /**
     * Sends one datagram of at most {@link #MAX_PAYLOAD} bytes (IPv4 fragments it beyond the MTU). Waits only
     * while the stack's command ring is full. Like UDP, nothing tells whether it arrived.
     */
    public void send(final int address, final int port, final byte[] data, final int offset, final int length)
        throws IOException
    {
        if (length < 0 || length > MAX_PAYLOAD)
        {
            throw new IllegalArgumentException("a UDP datagram carries 0.." + MAX_PAYLOAD + " bytes, not " + length);
        }
        if (port <= 0 || port > 65535)
        {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        check();
        final java.net.NoRouteToHostException noRoute = owner.opens.noRouteTo(address);
        if (noRoute != null)
        {
            throw noRoute; // as sendto(2) fails with ENETUNREACH: nothing could be sent
        }
        synchronized (sendSource)
        {
            sendSource.wrap(data);
            owner.send(SocketStack.UDP_SEND, id, address, port, sendSource, offset, length);
        }
    }

    public void send(final String address, final int port, final byte[] data) throws IOException
    {
        send(Ipv4Address.parse(address), port, data, 0, data.length);
    }

    /** {@link #send(int, int, byte[], int, int)} to "10.0.0.1". */
    public void send(final String address, final int port, final byte[] data, final int offset, final int length)
        throws IOException
    {
        send(Ipv4Address.parse(address), port, data, offset, length);
    }

    /** {@link #send(int, int, byte[], int, int)} to an IPv4 {@link InetAddress}. */
    public void send(final InetAddress address, final int port, final byte[] data, final int offset,
        final int length) throws IOException
    {
        send(InetAddresses.toInt(address), port, data, offset, length);
    }

    /** {@link #connect(int, int)} to "10.0.0.1". */
    public UdpSocket connect(final String address, final int port)
    {
        return connect(Ipv4Address.parse(address), port);
    }

    /** {@link #connect(int, int)} to an IPv4 {@link InetAddress}. */
    public UdpSocket connect(final InetAddress address, final int port)
    {
        return connect(InetAddresses.toInt(address), port);
    }

    /**
     * Connects to one peer: sends without an address go to it, only its datagrams are received, and its ICMP
     * port unreachable is reported by the next receive.
     */
    public UdpSocket connect(final int address, final int port)
    {
        if (port <= 0 || port > 65535)
        {
            throw new IllegalArgumentException("port must be 1..65535: " + port);
        }
        connectedPort = 0;
        connectedAddress = address;
        connectedPort = port;
        return this;
    }

    /** Sends to the connected peer. */
    public void send(final byte[] data, final int offset, final int length) throws IOException
    {
        final int port = connectedPort;
        if (port == 0)
        {
            throw new IllegalStateException("not connected: give an address, or connect() first");
        }
        send(connectedAddress, port, data, offset, length);
    }

    /**
     * Waits at most {@code timeout} (null: no limit) for a datagram.
     *
     * @throws SocketTimeoutException when none arrives in time
     * @throws PortUnreachableException when an earlier send was answered by ICMP port unreachable
     */
    public Datagram receive(final Duration timeout) throws IOException
    {
        final long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        return readiness.block(this::tryReceive,
            () -> receiveRing.size() > 0 || closed || failure != null || owner.isClosed(), deadline,
            () -> new SocketTimeoutException("no datagram within " + timeout.toMillis() + " ms"));
    }

    /** The non-blocking style: completes with the next datagram on the callback executor. */
    public CompletableFuture<Datagram> receiveAsync()
    {
        return readiness.async(this::tryReceive);
    }

    /** The next datagram if one is waiting, else null. */
    public Datagram tryReceive() throws IOException
    {
        synchronized (readLock)
        {
            taken = null;
            takenError = null;
            if (TcpSocket.readOne(receiveRing, takeDatagram) > 0)
            {
                VarHandle.fullFence(); // the freed ring space must be visible before we look at the flag
                if (receiveBlocked.get() && receiveBlocked.compareAndSet(true, false))
                {
                    owner.sendQuietly(SocketStack.UDP_PUMP, id, 0, 0);
                }
                if (takenError != null)
                {
                    throw takenError;
                }
                return taken;
            }
        }
        check();
        return null;
    }

    private void check() throws IOException
    {
        final IOException failed = failure;
        if (failed != null)
        {
            throw Failures.forCaller(failed);
        }
        owner.checkOpen();
        if (closed)
        {
            throw new SocketException("socket closed");
        }
    }

    private void takeDatagram(final int type, final MutableDirectBuffer buffer, final int index, final int length)
    {
        final int address = buffer.getInt(index + ADDRESS_OFFSET);
        final int port = buffer.getInt(index + PORT_OFFSET);
        if (type == ERROR)
        {
            takenError = new PortUnreachableException("ICMP port unreachable from " + Ipv4Address.toString(address)
                + ":" + port);
            return;
        }
        final byte[] data = new byte[length - PAYLOAD_OFFSET];
        buffer.getBytes(index + PAYLOAD_OFFSET, data);
        taken = new Datagram(address, port, data);
    }

    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        owner.sendQuietly(SocketStack.UDP_CLOSE, id, 0, 0);
        readiness.signal();
    }

    void awaitBound() throws IOException
    {
        owner.awaitBound(readiness, () -> bound, () -> failure, "a UDP bind");
    }

    // ------------------------------------------------------------------------------------------ stack thread

    /** What the stack's endpoint calls back. */
    UdpHandler handler()
    {
        return handler;
    }

    void attach(final UdpEndpoint endpoint)
    {
        this.endpoint = endpoint;
        this.localPort = endpoint.localPort();
        bound = true;
        readiness.signal();
    }

    void failBind(final String why)
    {
        failure = new BindException(why);
        owner.finished(this);
        readiness.signal();
    }

    void onSend(final int address, final int port, final MutableDirectBuffer buffer, final int offset, final int length,
        final long nowNs)
    {
        // a failure is counted by the stack (UDP: no promise)
        endpoint.send(address, port, buffer, offset, length, nowNs);
    }

    /** Moves queued datagrams into the ring while a largest datagram still fits. */
    void pumpReceive()
    {
        if (endpoint == null || endpoint.isClosed())
        {
            return;
        }
        boolean progressed = false;
        while (endpoint.queuedDatagrams() > 0)
        {
            if (!hasRoomForLargest())
            {
                receiveBlocked.set(true);
                VarHandle.fullFence();
                if (!hasRoomForLargest() || !receiveBlocked.compareAndSet(true, false))
                {
                    break;
                }
            }
            final int length = endpoint.receive(scratch, 0, MAX_PAYLOAD);
            if (length < 0)
            {
                break;
            }
            final int peerPort = connectedPort;
            if (peerPort != 0 && (endpoint.lastRemotePort() != peerPort
                || endpoint.lastRemoteAddress() != connectedAddress))
            {
                continue; // a connected socket hears only its peer (as connect(2) on a UDP socket)
            }
            final int index = receiveRing.tryClaim(DATAGRAM, PAYLOAD_OFFSET + length);
            if (index <= 0)
            {
                break; // cannot happen with room for the largest; the datagram is lost like a full queue's
            }
            final MutableDirectBuffer out = receiveRing.buffer();
            out.putInt(index + ADDRESS_OFFSET, endpoint.lastRemoteAddress());
            out.putInt(index + PORT_OFFSET, endpoint.lastRemotePort());
            out.putBytes(index + PAYLOAD_OFFSET, scratch, 0, length);
            receiveRing.commit(index);
            progressed = true;
        }
        if (progressed)
        {
            readiness.signal();
        }
    }

    private boolean hasRoomForLargest()
    {
        return receiveRing.capacity() - receiveRing.size()
            >= PAYLOAD_OFFSET + MAX_PAYLOAD + 2 * RingBufferDescriptor.TRAILER_LENGTH;
    }

    void onClose()
    {
        if (endpoint != null)
        {
            endpoint.close();
        }
        owner.finished(this);
    }

    void stackClosed()
    {
        if (failure == null)
        {
            failure = new StackClosedException();
        }
        readiness.signal();
    }

    private final class Handler implements UdpHandler
    {
        @Override
        public void onReadable(final UdpEndpoint endpoint)
        {
            pumpReceive();
        }

        @Override
        public void onIcmpError(final UdpEndpoint endpoint, final int type, final int code, final int remoteAddress,
            final int remotePort)
        {
            // RFC 1122 §4.1.3.3: pass ICMP errors to the application; here as an error in the receive order, and
            // (like a DatagramSocket) only to a socket connected to the peer that answered
            if (type != IcmpMessage.TYPE_DESTINATION_UNREACHABLE
                || code != IcmpMessage.CODE_PORT_UNREACHABLE
                || connectedPort != remotePort || connectedAddress != remoteAddress)
            {
                return;
            }
            final int index = receiveRing.tryClaim(ERROR, PAYLOAD_OFFSET);
            if (index > 0)
            {
                receiveRing.buffer().putInt(index + ADDRESS_OFFSET, remoteAddress);
                receiveRing.buffer().putInt(index + PORT_OFFSET, remotePort);
                receiveRing.commit(index);
                readiness.signal();
            }
        }
    }
}
