package io.tapstack.ip;

import io.tapstack.StackCounters;
import io.tapstack.StackCounters.Counter;
import io.tapstack.time.DeadlineQueue;
import io.tapstack.wire.Ipv4Header;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IPv4 reassembly (RFC 791 §3.2 "reassembly", RFC 1122 §3.3.2, RFC 815 for the idea of tracking holes).
 *
 * <p>Each datagram in progress owns a 64 KiB buffer, lazily allocated and then reused, so the memory bound
 * is a bound on datagrams in progress. Received data is tracked in 8-byte blocks (fragment offsets count 8
 * bytes). A fragment that overlaps data already held must carry the same bytes there, else the datagram is
 * dropped (overlaps are an attack tool: RFC 1858, RFC 3128). A datagram that would exceed 65,535 bytes is
 * dropped (the "ping of death"). Owned by the stack thread.
 */
public final class Reassembler
{
    private static final Logger LOG = LoggerFactory.getLogger(Reassembler.class);

    /** Payload starts here in a context buffer; the first fragment's header is copied just before it. */
    public static final int DATA_OFFSET = Ipv4Header.MAX_HEADER_LENGTH;
    private static final int MAX_PAYLOAD = Ipv4Header.MAX_DATAGRAM_LENGTH - Ipv4Header.MIN_HEADER_LENGTH;
    private static final int BLOCKS = (MAX_PAYLOAD + 7) / 8;
    private static final int BUFFER_SIZE = DATA_OFFSET + BLOCKS * 8;

    private final StackCounters counters;
    private final long timeoutNs;
    private final Context[] contexts;

    /** Called when a datagram in progress times out with its first fragment held (for ICMP time exceeded). */
    public interface TimeoutListener
    {
        void onReassemblyTimeout(MutableDirectBuffer buffer, int headerOffset, int availableLength, long nowNs);
    }

    private TimeoutListener timeoutListener;
    /** The reassembly deadline of each context in use, by index: expiry looks only at what is due. */
    private final DeadlineQueue deadlines;

    public Reassembler(final int memoryBytes, final long timeoutNs, final StackCounters counters)
    {
        this.counters = counters;
        this.timeoutNs = timeoutNs;
        final int count = Math.max(1, memoryBytes / BUFFER_SIZE);
        this.contexts = new Context[count];
        this.deadlines = new DeadlineQueue(count);
        for (int i = 0; i < count; i++)
        {
            contexts[i] = new Context(i);
        }
    }

    public void timeoutListener(final TimeoutListener listener)
    {
        this.timeoutListener = listener;
    }

    /** Datagrams that can be in reassembly at once. */
    public int capacity()
    {
        return contexts.length;
    }

    public int inProgress()
    {
        int n = 0;
        for (final Context c : contexts)
        {
            if (c.inUse)
            {
                n++;
            }
        }
        return n;
    }

    /**
     * Adds one validated fragment.
     *
     * @return the index of a completed datagram, whose buffer {@link #buffer(int)} holds a header at
     * {@link #headerOffset(int)} with the datagram's total length; the caller delivers it, then calls
     * {@link #release(int)}. -1 while incomplete or when the fragment was dropped.
     */
    public int onFragment(final Ipv4Header ip, final long nowNs)
    {
        counters.increment(Counter.IP_FRAGMENTS_RX);
        final int payloadLength = ip.payloadLength();
        final int fragmentOffset = ip.fragmentOffset();
        final boolean more = ip.moreFragments();
        final int end = fragmentOffset + payloadLength;

        if (more && (payloadLength == 0 || (payloadLength & 7) != 0))
        {
            // RFC 791 §3.2: every fragment but the last carries a multiple of 8 bytes
            counters.increment(Counter.IP_REASM_DROP_INVALID);
            LOG.debug("dropped a fragment whose length {} is not a multiple of 8", payloadLength);
            return -1;
        }

        final int index = find(ip.source(), ip.destination(), ip.identification(), ip.protocol(), nowNs);
        final Context c = contexts[index];

        if (end > MAX_PAYLOAD)
        {
            drop(index, Counter.IP_REASM_DROP_OVERSIZE, "would exceed 65,535 bytes");
            return -1;
        }
        if (!more)
        {
            if ((c.totalPayload >= 0 && c.totalPayload != end) || end < c.highestEnd)
            {
                drop(index, Counter.IP_REASM_DROP_INVALID, "has two different ends");
                return -1;
            }
            c.totalPayload = end;
        }
        else if (c.totalPayload >= 0 && end > c.totalPayload)
        {
            drop(index, Counter.IP_REASM_DROP_INVALID, "has data past its last fragment");
            return -1;
        }

        final MutableDirectBuffer source = ip.buffer();
        final int sourceOffset = ip.payloadOffset();
        final int firstBlock = fragmentOffset >>> 3;
        final int lastBlock = (end + 7) >>> 3;
        // RFC 791 leaves overlaps open; we accept only exact repeats of bytes already held
        for (int block = firstBlock; block < lastBlock; block++)
        {
            if (c.has(block))
            {
                final int from = Math.max(block << 3, fragmentOffset);
                final int to = Math.min((block << 3) + 8, end);
                for (int i = from; i < to; i++)
                {
                    if (c.buffer.getByte(DATA_OFFSET + i) != source.getByte(sourceOffset + i - fragmentOffset))
                    {
                        drop(index, Counter.IP_REASM_DROP_OVERLAP_MISMATCH, "has overlapping fragments that disagree");
                        return -1;
                    }
                }
            }
        }
        c.buffer.putBytes(DATA_OFFSET + fragmentOffset, source, sourceOffset, payloadLength);
        for (int block = firstBlock; block < lastBlock; block++)
        {
            c.mark(block);
        }
        c.highestEnd = Math.max(c.highestEnd, end);
        if (fragmentOffset == 0 && c.headerLength == 0)
        {
            c.headerLength = ip.headerLength();
            c.buffer.putBytes(DATA_OFFSET - c.headerLength, source, ip.offset(), c.headerLength);
        }

        if (c.totalPayload < 0 || c.headerLength == 0 || c.blocksHeld != (c.totalPayload + 7) >>> 3)
        {
            return -1;
        }
        final int totalLength = c.headerLength + c.totalPayload;
        if (totalLength > Ipv4Header.MAX_DATAGRAM_LENGTH)
        {
            drop(index, Counter.IP_REASM_DROP_OVERSIZE, "would exceed 65,535 bytes");
            return -1;
        }
        final Ipv4Header header = c.header.wrap(c.buffer, DATA_OFFSET - c.headerLength, totalLength);
        header.totalLength(totalLength);
        header.flagsAndFragmentOffset(header.flagsAndFragmentOffset() & Ipv4Header.FLAG_DONT_FRAGMENT);
        header.updateChecksum();
        counters.increment(Counter.IP_REASSEMBLED);
        return index;
    }

    public MutableDirectBuffer buffer(final int index)
    {
        return contexts[index].buffer;
    }

    public int headerOffset(final int index)
    {
        return DATA_OFFSET - contexts[index].headerLength;
    }

    public int totalLength(final int index)
    {
        final Context c = contexts[index];
        return c.headerLength + c.totalPayload;
    }

    public void release(final int index)
    {
        contexts[index].reset();
    }

    /** Drops datagrams past their deadline; returns how many. */
    public int expire(final long nowNs)
    {
        int expired = 0;
        while (!deadlines.isEmpty() && deadlines.nextDeadlineNs() <= nowNs)
        {
            final Context c = contexts[deadlines.peekId()];
            expired++;
            counters.increment(Counter.IP_REASM_TIMEOUTS);
            LOG.debug("gave up reassembling datagram id {}: fragments missing after the timeout", c.identification);
            if (c.headerLength != 0 && timeoutListener != null)
            {
                // RFC 1122 §3.3.2: time exceeded only if fragment zero arrived
                timeoutListener.onReassemblyTimeout(c.buffer, DATA_OFFSET - c.headerLength,
                    c.headerLength + Math.min(8, c.highestEnd), nowNs);
            }
            c.reset();
        }
        return expired;
    }

    public long nextDeadlineNs()
    {
        return deadlines.nextDeadlineNs();
    }

    private int find(final int src, final int dst, final int id, final int protocol, final long nowNs)
    {
        int free = -1;
        int oldest = 0;
        for (int i = 0; i < contexts.length; i++)
        {
            final Context c = contexts[i];
            if (c.inUse)
            {
                // RFC 791: source, destination, protocol and identification name a datagram
                if (c.source == src && c.destination == dst && c.identification == id && c.protocol == protocol)
                {
                    return i;
                }
                if (c.deadlineNs < contexts[oldest].deadlineNs || !contexts[oldest].inUse)
                {
                    oldest = i;
                }
            }
            else if (free < 0)
            {
                free = i;
            }
        }
        if (free < 0)
        {
            // memory bound reached: the oldest datagram in progress makes room (as Linux's ipfrag eviction)
            counters.increment(Counter.IP_REASM_EVICTIONS);
            LOG.debug("reassembly memory full: evicted the oldest datagram in progress");
            contexts[oldest].reset();
            free = oldest;
        }
        contexts[free].start(src, dst, id, protocol, nowNs + timeoutNs);
        return free;
    }

    private void drop(final int index, final Counter reason, final String why)
    {
        counters.increment(reason);
        if (LOG.isDebugEnabled())
        {
            LOG.debug("dropped datagram id {}: it {}", contexts[index].identification, why);
        }
        contexts[index].reset();
    }

    private final class Context
    {
        final Ipv4Header header = new Ipv4Header();
        final long[] held = new long[(BLOCKS + 63) >>> 6];
        UnsafeBuffer buffer;
        boolean inUse;
        int source;
        int destination;
        int identification;
        int protocol;
        long deadlineNs;
        int totalPayload = -1;
        int highestEnd;
        int headerLength;
        int blocksHeld;

        private final int index;

        Context(final int index)
        {
            this.index = index;
        }

        void start(final int src, final int dst, final int id, final int proto, final long deadline)
        {
            if (buffer == null)
            {
                buffer = new UnsafeBuffer(new byte[BUFFER_SIZE]);
            }
            inUse = true;
            source = src;
            destination = dst;
            identification = id;
            protocol = proto;
            deadlineNs = deadline;
            deadlines.schedule(index, deadline);
        }

        boolean has(final int block)
        {
            return (held[block >>> 6] & (1L << block)) != 0;
        }

        void mark(final int block)
        {
            final long bit = 1L << block;
            if ((held[block >>> 6] & bit) == 0)
            {
                held[block >>> 6] |= bit;
                blocksHeld++;
            }
        }

        void reset()
        {
            deadlines.cancel(index);
            inUse = false;
            totalPayload = -1;
            highestEnd = 0;
            headerLength = 0;
            blocksHeld = 0;
            java.util.Arrays.fill(held, 0);
        }
    }
}
