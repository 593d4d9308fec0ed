package io.tapstack.forward;

import io.tapstack.forward.ForwardCounters.Counter;
import io.tapstack.wire.IpProtocol;
import org.agrona.DirectBuffer;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.PortUnreachableException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.DatagramChannel;
import java.nio.channels.SelectionKey;
import java.util.ArrayList;

/**
 * The guest's UDP flows: one host {@code DatagramChannel} per guest 4-tuple (guest address and port, destination
 * address and port), connected to its target so that replies come only from there and the host's ICMP port
 * unreachable shows as {@link PortUnreachableException}, which goes back to the guest as ICMP port unreachable (RFC
 * 1122 §4.1.3.3, RFC 1812 §4.3.2). Replies go to the guest from the address and port it sent to. A flow with no
 * datagram either way for {@code udpIdleTimeoutNs} is closed. One scratch buffer carries every datagram: nothing
 * is allocated per datagram. Owned by the engine's thread.
 */
final class UdpFlows
{
    private static final Logger LOG = LoggerFactory.getLogger(UdpFlows.class);
    private static final long SWEEP_INTERVAL_NS = 1_000_000_000L;

    /** One flow; its key packs guest port, destination port and destination address (the guest address checked). */
    static final class Flow
    {
        final long key;
        final int guest;
        final int guestPort;
        final int destination;
        final int destinationPort;
        final DatagramChannel channel;
        long lastActiveNs;

        Flow(final long key, final int guest, final int guestPort, final int destination, final int destinationPort,
            final DatagramChannel channel, final long nowNs)
        {
            this.key = key;
            this.guest = guest;
            this.guestPort = guestPort;
            this.destination = destination;
            this.destinationPort = destinationPort;
            this.channel = channel;
            this.lastActiveNs = nowNs;
        }
    }

    private final ForwardEngine engine;
    private final Long2ObjectHashMap<Flow> flows = new Long2ObjectHashMap<>();
    private final ByteBuffer scratch = ByteBuffer.allocateDirect(65536);
    private final UnsafeBuffer scratchView = new UnsafeBuffer(scratch);
    /** The 8 bytes of a rebuilt UDP header, for ICMP errors about a guest's datagram. */
    private final UnsafeBuffer header = new UnsafeBuffer(new byte[8]);
    private final ArrayList<Flow> expired = new ArrayList<>();
    private long nextSweepNs = Long.MAX_VALUE;

    UdpFlows(final ForwardEngine engine)
    {
        this.engine = engine;
    }

    int size()
    {
        return flows.size();
    }

    private static long key(final int guestPort, final int destination, final int destinationPort)
    {
        return ((long)guestPort << 48) | ((long)destinationPort << 32) | (destination & 0xFFFF_FFFFL);
    }

    /** The stack's UDP interceptor: a guest datagram nothing of ours takes. */
    boolean onDatagram(final int source, final int sourcePort, final int destination, final int destinationPort,
        final DirectBuffer data, final int offset, final int length, final long nowNs)
    {
        final long key = key(sourcePort, destination, destinationPort);
        Flow flow = flows.get(key);
        if (flow != null && flow.guest != source)
        {
            return false; // another guest with the same ports to the same destination: not ours to mix up
        }
        if (flow == null)
        {
            if (destination == engine.stack.ipAddress() && engine.config.hostLoopbackAddress() != destination)
            {
                return false; // a closed port of the gateway itself: port unreachable, as any host answers
            }
            final int target = engine.target(destination);
            if (target == 0)
            {
                engine.counters.increment(Counter.UDP_POLICY_DENIED);
                // RFC 1812 §5.2.7.1: a router that filters says so: communication administratively prohibited
                engine.unreachableAbout(ForwardEngine.CODE_ADMIN_PROHIBITED, source, destination, IpProtocol.UDP,
                    udpHeader(sourcePort, destinationPort, length), nowNs);
                return true;
            }
            if (flows.size() >= engine.config.maxUdpFlows())
            {
                engine.counters.increment(Counter.UDP_FLOW_LIMIT);
                return true; // dropped, as a router out of state drops
            }
            flow = open(key, source, sourcePort, destination, destinationPort, target, nowNs);
            if (flow == null)
            {
                return true;
            }
        }
        flow.lastActiveNs = nowNs;
        scratch.clear();
        scratchView.putBytes(0, data, offset, length);
        scratch.limit(length);
        try
        {
            if (flow.channel.write(scratch) == 0)
            {
                engine.counters.increment(Counter.UDP_SEND_DROPS);
            }
            else
            {
                engine.counters.increment(Counter.UDP_DATAGRAMS_TO_HOST);
            }
        }
        catch (final PortUnreachableException ex)
        {
            portUnreachable(flow, nowNs); // an earlier datagram's ICMP error, reported on this write
        }
        catch (final IOException ex)
        {
            engine.counters.increment(Counter.UDP_HOST_ERRORS);
            LOG.debug("UDP to {}: {}", flow.channel, ex.toString());
        }
        return true;
    }

    private Flow open(final long key, final int guest, final int guestPort, final int destination,
        final int destinationPort, final int target, final long nowNs)
    {
        DatagramChannel channel = null;
        try
        {
            channel = DatagramChannel.open();
            channel.configureBlocking(false);
            channel.connect(ForwardEngine.socketAddress(target, destinationPort));
            final Flow flow = new Flow(key, guest, guestPort, destination, destinationPort, channel, nowNs);
            channel.register(engine.selector, SelectionKey.OP_READ, flow);
            flows.put(key, flow);
            engine.counters.increment(Counter.UDP_FLOWS_OPENED);
            engine.counters.increment(Counter.UDP_FLOWS);
            if (nextSweepNs == Long.MAX_VALUE)
            {
                nextSweepNs = nowNs + Math.min(SWEEP_INTERVAL_NS, engine.config.udpIdleTimeoutNs());
            }
            return flow;
        }
        catch (final IOException ex)
        {
            engine.counters.increment(Counter.UDP_HOST_ERRORS);
            LOG.debug("cannot open a host UDP socket: {}", ex.toString());
            if (channel != null)
            {
                try
                {
                    channel.close();
                }
                catch (final IOException ignored)
                {
                    // nothing more to do
                }
            }
            return null;
        }
    }

    /** Host -> guest: up to udpDatagramsPerWake datagrams, each sent from the address and port the guest used. */
    void onReadable(final Flow flow, final long nowNs)
    {
        for (int i = 0; i < engine.config.udpDatagramsPerWake(); i++)
        {
            scratch.clear();
            final int n;
            try
            {
                n = flow.channel.read(scratch);
            }
            catch (final PortUnreachableException ex)
            {
                portUnreachable(flow, nowNs);
                continue;
            }
            catch (final IOException ex)
            {
                engine.counters.increment(Counter.UDP_HOST_ERRORS);
                LOG.debug("UDP from {}: {}", flow.channel, ex.toString());
                return;
            }
            if (n <= 0)
            {
                return;
            }
            flow.lastActiveNs = nowNs;
            if (engine.udp.sendFrom(flow.destination, flow.destinationPort, flow.guest, flow.guestPort, scratchView, 0,
                n, nowNs))
            {
                engine.counters.increment(Counter.UDP_DATAGRAMS_TO_GUEST);
            }
        }
    }

    /** RFC 1122 §4.1.3.3 / RFC 792: the host's port unreachable, passed on to the guest from the gateway. */
    private void portUnreachable(final Flow flow, final long nowNs)
    {
        engine.counters.increment(Counter.UDP_PORT_UNREACHABLE);
        engine.icmp.sendErrorAbout(io.tapstack.wire.IcmpMessage.TYPE_DESTINATION_UNREACHABLE,
            io.tapstack.wire.IcmpMessage.CODE_PORT_UNREACHABLE, flow.guest, flow.destination, IpProtocol.UDP,
            udpHeader(flow.guestPort, flow.destinationPort, 0), 0, nowNs);
    }

    private DirectBuffer udpHeader(final int sourcePort, final int destinationPort, final int dataLength)
    {
        header.putShort(0, (short)sourcePort, ByteOrder.BIG_ENDIAN);
        header.putShort(2, (short)destinationPort, ByteOrder.BIG_ENDIAN);
        header.putShort(4, (short)(8 + dataLength), ByteOrder.BIG_ENDIAN);
        header.putShort(6, (short)0, ByteOrder.BIG_ENDIAN);
        return header;
    }

    /** Closes flows idle for udpIdleTimeoutNs; runs at most once a second. */
    int expire(final long nowNs)
    {
        if (nowNs < nextSweepNs)
        {
            return 0;
        }
        final long idleBefore = nowNs - engine.config.udpIdleTimeoutNs();
        for (final Flow flow : flows.values())
        {
            if (flow.lastActiveNs <= idleBefore)
            {
                expired.add(flow);
            }
        }
        for (int i = 0; i < expired.size(); i++)
        {
            close(expired.get(i));
            engine.counters.increment(Counter.UDP_IDLE_TIMEOUTS);
        }
        final int n = expired.size();
        expired.clear();
        nextSweepNs = flows.isEmpty() ? Long.MAX_VALUE
            : nowNs + Math.min(SWEEP_INTERVAL_NS, engine.config.udpIdleTimeoutNs());
        return n;
    }

    long nextDeadlineNs()
    {
        return nextSweepNs;
    }

    private void close(final Flow flow)
    {
        flows.remove(flow.key);
        engine.counters.add(Counter.UDP_FLOWS, -1);
        try
        {
            flow.channel.close();
        }
        catch (final IOException ex)
        {
            LOG.debug("closing a host UDP socket", ex);
        }
    }

    void clear()
    {
        for (final Flow flow : flows.values())
        {
            expired.add(flow);
        }
        for (int i = 0; i < expired.size(); i++)
        {
            close(expired.get(i));
        }
        expired.clear();
    }
}
