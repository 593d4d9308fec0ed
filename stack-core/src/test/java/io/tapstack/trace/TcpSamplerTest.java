package io.tapstack.trace;

import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpState;
import io.tapstack.testkit.DropNth;
import io.tapstack.testkit.TwoStacks;
import org.junit.jupiter.api.Test;

import java.io.StringWriter;
import java.io.Writer;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.List;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TcpSampler}: rows on the grid of the sampling interval in stack time, a row for each retransmission with its
 * cause and for each state change, every row with every column, and writing a row allocates nothing.
 */
class TcpSamplerTest
{
    private static final int B = io.tapstack.wire.Ipv4Address.parse("10.0.0.2");
    private static final int COLUMNS = TcpSampler.HEADER.split(",").length;

    @Test
    void writesPeriodicRowsAndARowPerRetransmissionWithItsCause()
    {
        final TwoStacks net = new TwoStacks(5 * MS, c -> c, c -> c, d -> new DropNth(d, 20, 1000), d -> d);
        final StringWriter csv = new StringWriter();
        final long origin = net.nowNs();
        final TcpSampler sampler = new TcpSampler(csv, 10 * MS, origin);
        net.a.tcp().eventListener(sampler);
        final Sink sink = new Sink();
        net.b.tcp().listen(5000, l -> l.accept().handler(sink));
        final Source source = new Source(300_000);
        final TcpConnection client = net.a.tcp().connect(B, 5000, source, net.nowNs());
        sampler.watch(client, net.nowNs());
        while (sink.received < source.total && net.nowNs() - origin < 30 * SECOND)
        {
            net.runUntil(() -> false, Math.max(1, sampler.nextDeadlineNs() - net.nowNs()));
            sampler.onTime(net.nowNs());
        }
        assertEquals(source.total, sink.received);

        final List<String> lines = csv.toString().lines().toList();
        assertEquals(TcpSampler.HEADER, lines.get(0));
        final List<String[]> rows = lines.subList(1, lines.size()).stream().map(l -> l.split(",", -1)).toList();
        assertEquals(sampler.rows(), rows.size());
        for (final String[] row : rows)
        {
            assertEquals(COLUMNS, row.length, () -> "every column in " + Arrays.toString(row));
        }
        final List<String[]> samples = rows.stream().filter(r -> r[1].equals("sample")).toList();
        assertTrue(samples.size() > 10, "periodic rows: " + samples.size());
        for (int i = 1; i < samples.size(); i++)
        {
            final double gap = Double.parseDouble(samples.get(i)[0]) - Double.parseDouble(samples.get(i - 1)[0]);
            assertEquals(0.010, gap, 1e-9, "rows 10 ms apart in stack time");
        }
        final List<String[]> retransmits = rows.stream().filter(r -> r[1].equals("retransmit")).toList();
        assertEquals(1, retransmits.size(), "one dropped segment, one retransmission");
        final String cause = retransmits.get(0)[2];
        assertTrue(cause.equals("fast-retransmit") || cause.equals("rack"), cause);
        assertTrue(rows.stream().anyMatch(r -> r[1].equals("state") && r[2].equals("ESTABLISHED")));
        final String[] last = rows.get(rows.size() - 1);
        assertEquals("1", String.valueOf(Long.parseLong(last[15]) + Long.parseLong(last[16])),
            "the cumulative retrans_fast + retrans_rack");
        assertTrue(samples.stream().anyMatch(r -> Integer.parseInt(r[4]) > 14_600), "cwnd grew past IW10");
    }

    @Test
    void rejectsAnIntervalBelowAMicrosecond()
    {
        assertThrows(IllegalArgumentException.class, () -> new TcpSampler(Writer.nullWriter(), 999, 0));
    }

    @Test
    void aRowAllocatesNothing()
    {
        final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean)ManagementFactory.getThreadMXBean();
        final TwoStacks net = new TwoStacks();
        net.b.tcp().listen(5000, l -> l.accept());
        final TcpConnection client = net.a.tcp().connect(B, 5000, null, net.nowNs());
        assertTrue(net.runUntil(() -> client.state() == TcpState.ESTABLISHED, SECOND));
        final Writer discard = new Writer()
        {
            @Override
            public void write(final char[] buffer, final int offset, final int length)
            {
            }

            @Override
            public void flush()
            {
            }

            @Override
            public void close()
            {
            }
        };
        final long start = net.nowNs();
        final TcpSampler sampler = new TcpSampler(discard, MS, start);
        sampler.watch(client, start);
        for (int i = 1; i <= 1000; i++)
        {
            sampler.onTime(start + i * MS); // warm
        }
        final long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 1001; i <= 101_000; i++)
        {
            sampler.onTime(start + i * MS);
        }
        final long allocated = threads.getCurrentThreadAllocatedBytes() - before;
        assertEquals(101_001, sampler.rows());
        assertTrue(allocated < 1024, "bytes allocated by 100,000 rows: " + allocated);
    }

    /** Writes {@code total} bytes and keeps the connection open. */
    private static final class Source implements TcpHandler
    {
        final int total;
        final byte[] chunk = new byte[16384];
        int written;

        Source(final int total)
        {
            this.total = total;
        }

        @Override
        public void onConnected(final TcpConnection c)
        {
            onWritable(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            int n;
            while (written < total && (n = c.write(chunk, 0, Math.min(chunk.length, total - written))) > 0)
            {
                written += n;
            }
        }
    }

    /** Reads everything. */
    private static final class Sink implements TcpHandler
    {
        final byte[] chunk = new byte[65536];
        long received;

        @Override
        public void onReadable(final TcpConnection c)
        {
            int n;
            while ((n = c.read(chunk, 0, chunk.length)) > 0)
            {
                received += n;
            }
        }
    }
}
