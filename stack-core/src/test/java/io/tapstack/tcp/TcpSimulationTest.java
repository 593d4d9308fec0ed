package io.tapstack.tcp;

import io.tapstack.NetStack;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.FrameObserver;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.testkit.TwoStacks;
import io.tapstack.wire.Ipv4Address;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.function.Consumer;

import static io.tapstack.testkit.TwoStacks.MS;
import static io.tapstack.testkit.TwoStacks.SECOND;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two stacks over a {@link io.tapstack.dev.MemoryLink} with seeded loss, duplication, reordering, delay and
 * jitter (an {@link ImpairedDevice} on each end, both directions), in simulated time: large transfers both ways
 * at once arrive intact and in order, and a slow reader neither deadlocks nor leaves the connection slow once it
 * speeds up. A failing simulation names its seed and writes the last frames on the link to
 * {@code target/simulation-failures/*.pcap}.
 */
class TcpSimulationTest
{
    private static final int B = Ipv4Address.parse("10.0.0.2");
    private static final int PORT = 5000;

    /** The link's own one-way latency; the impairments add their delay on top. */
    private static final long LATENCY_NS = MS;

    /** One simulated network: two stacks, their impaired devices, a ring capture of the link. */
    static final class Net
    {
        final long seed;
        final TwoStacks net;
        final ImpairedDevice[] devices = new ImpairedDevice[2];
        final PcapRing pcap = new PcapRing(8192);

        /**
         * @param perDevice applied to each end's device in both directions, so a frame meets it twice (the
         *                  sender's transmit side, then the receiver's receive side)
         */
        Net(final long seed, final Impairment perDevice)
        {
            this(seed, perDevice, tcp ->
            {
            });
        }

        /** As above, with {@code tcp} applied to both stacks' TCP config. */
        Net(final long seed, final Impairment perDevice, final Consumer<TcpConfig> tcp)
        {
            this.seed = seed;
            this.net = new TwoStacks(LATENCY_NS, c ->
            {
                tcp.accept(c.tcp());
                return c.seed(seed * 31 + 1);
            }, c ->
            {
                tcp.accept(c.tcp());
                return c.seed(seed * 31 + 2);
            },
                d -> devices[0] = ImpairedDevice.builder(d).seed(seed).both(perDevice).storeFrames(1024).build(),
                d -> devices[1] = ImpairedDevice.builder(d).seed(~seed).both(perDevice).storeFrames(1024).build());
            // the test kit's capture keeps every frame; a long transfer keeps only the last ones
            net.link.observer(pcap);
        }

        /** Runs {@code check}; on failure writes the pcap and rethrows with the seed and the file named. */
        void verify(final String name, final Runnable check)
        {
            try
            {
                check.run();
                assertEquals(0, net.a.counters().get(Counter.STACK_INTERNAL_ERRORS), "A internal errors");
                assertEquals(0, net.b.counters().get(Counter.STACK_INTERNAL_ERRORS), "B internal errors");
            }
            catch (final AssertionError | RuntimeException e)
            {
                final Path file = Path.of("target", "simulation-failures", name + "-seed-" + seed + ".pcap");
                String where;
                try
                {
                    pcap.write(file);
                    where = file.toAbsolutePath().toString();
                }
                catch (final IOException io)
                {
                    where = "(pcap not written: " + io + ")";
                }
                throw new AssertionError(name + " failed for seed " + seed + " (" + describe() + "); last "
                    + pcap.size() + " frames of the link in " + where + ": " + e.getMessage(), e);
            }
        }

        String describe()
        {
            return "t=" + (net.nowNs() - 1_000 * SECOND) / MS + " ms, A: " + stats(net.a, devices[0]) + "; B: "
                + stats(net.b, devices[1]);
        }

        private static String stats(final NetStack s, final ImpairedDevice d)
        {
            return "dropped " + d.framesDropped() + ", duplicated " + d.framesDuplicated() + ", reordered "
                + d.framesReordered() + ", delayed " + d.framesDelayed() + ", overflowed " + d.framesOverflowed()
                + ", retransmitted " + s.counters().get(Counter.TCP_RETRANSMITTED_SEGMENTS) + ", rto "
                + s.counters().get(Counter.TCP_RTO_EXPIRIES) + ", fast " + s.counters().get(Counter.TCP_FAST_RETRANSMITS);
        }
    }

    /**
     * One end of a bidirectional transfer: writes {@code out} as the send buffer allows and then shuts down its
     * output; checks every byte read against {@code expected} as it arrives (so a corruption names its offset)
     * and hashes it.
     */
    static final class Peer implements TcpHandler
    {
        final byte[] out;
        final byte[] expected;
        final byte[] chunk = new byte[64 * 1024];
        final MessageDigest sha = sha256();
        int written;
        long received;
        long firstMismatch = -1;
        boolean endOfStream;
        boolean closed;
        boolean reset;
        boolean shutdownWhenWritten = true;
        TcpConnection connection;

        Peer(final byte[] out, final byte[] expected)
        {
            this.out = out;
            this.expected = expected;
        }

        void start(final TcpConnection c)
        {
            connection = c;
            pump(c);
            drain(c);
        }

        @Override
        public void onConnected(final TcpConnection c)
        {
            start(c);
        }

        @Override
        public void onWritable(final TcpConnection c)
        {
            pump(c);
        }

        @Override
        public void onReadable(final TcpConnection c)
        {
            drain(c);
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            drain(c);
        }

        @Override
        public void onClosed(final TcpConnection c)
        {
            closed = true;
        }

        @Override
        public void onReset(final TcpConnection c)
        {
            reset = true;
        }

        void pump(final TcpConnection c)
        {
            while (written < out.length)
            {
                final int n = c.write(out, written, out.length - written);
                if (n <= 0)
                {
                    return;
                }
                written += n;
            }
            if (shutdownWhenWritten)
            {
                c.shutdownOutput();
            }
        }

        void drain(final TcpConnection c)
        {
            while (true)
            {
                final int n = c.read(chunk, 0, chunk.length);
                if (n <= 0)
                {
                    break;
                }
                if (firstMismatch < 0)
                {
                    final int from = (int)Math.min(received, expected.length);
                    final int to = (int)Math.min(received + n, expected.length);
                    final int m = Arrays.mismatch(chunk, 0, n, expected, from, to);
                    if (m >= 0)
                    {
                        firstMismatch = received + m;
                    }
                }
                sha.update(chunk, 0, n);
                received += n;
            }
            if (c.isEndOfStream() && !endOfStream)
            {
                endOfStream = true;
            }
        }

        boolean done()
        {
            return endOfStream && written == out.length && closed;
        }

        String status()
        {
            return "written " + written + "/" + out.length + ", received " + received + "/" + expected.length
                + (endOfStream ? ", end of stream" : "") + (closed ? ", closed" : "") + (reset ? ", RESET" : "")
                + (connection != null ? ", state " + connection.state() + ", snd.una " + connection.sndUna()
                + ", snd.nxt " + connection.sndNxt() + ", snd.max " + connection.sndMax() + ", snd.wnd "
                + connection.sndWnd() + ", cwnd " + connection.cwnd() + ", rto " + connection.rtoNs() / MS + " ms"
                : "");
        }
    }

    static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException e)
        {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(final byte[] data)
    {
        return HexFormat.of().formatHex(sha256().digest(data));
    }

    static byte[] randomBytes(final int n, final long seed)
    {
        final byte[] data = new byte[n];
        new Random(seed).nextBytes(data);
        return data;
    }

    /**
     * A connects to B; each sends {@code bytes} random bytes to the other at the same time on the one connection,
     * then shuts down its output. Asserts both streams arrive whole and in order (SHA-256 equal) and the
     * connection closes on both ends.
     */
    static void bidirectional(final String name, final long seed, final Impairment perDevice, final int bytes,
        final long maxNs)
    {
        final Net n = new Net(seed, perDevice);
        final TwoStacks net = n.net;
        final byte[] aToB = randomBytes(bytes, seed);
        final byte[] bToA = randomBytes(bytes, ~seed);
        final Peer a = new Peer(aToB, bToA);
        final Peer b = new Peer(bToA, aToB);
        n.verify(name, () ->
        {
            net.b.tcp().listen(PORT, listener ->
            {
                final TcpConnection c = listener.accept();
                c.handler(b);
                b.start(c);
            });
            assertTrue(net.a.tcp().connect(B, PORT, a, net.clock.nanoTime()) != null, "connect");
            final boolean finished = net.runUntil(() -> a.done() && b.done() || a.reset || b.reset
                || a.firstMismatch >= 0 || b.firstMismatch >= 0, maxNs);
            final String status = "A: " + a.status() + "; B: " + b.status();
            assertEquals(-1, b.firstMismatch, "A->B stream corrupted at byte " + b.firstMismatch + "; " + status);
            assertEquals(-1, a.firstMismatch, "B->A stream corrupted at byte " + a.firstMismatch + "; " + status);
            assertTrue(finished && !a.reset && !b.reset, "did not finish: " + status);
            assertEquals(sha256(aToB), HexFormat.of().formatHex(b.sha.digest()), "A->B SHA-256; " + status);
            assertEquals(sha256(bToA), HexFormat.of().formatHex(a.sha.digest()), "B->A SHA-256; " + status);
            assertEquals(bytes, a.received);
            assertEquals(bytes, b.received);
        });
        System.out.printf("%s seed %d: %d bytes each way in %.1f s simulated; %s%n", name, seed, bytes,
            (net.nowNs() - 1_000 * SECOND) / 1e9, n.describe());
    }

    // ------------------------------------------------------------------------------------------------ transfers

    /** Each device impairs both ways, so a frame meets these twice: about 5% loss end to end. */
    private static final Impairment MODERATE = Impairment.NONE.withLoss(0.025).withDuplicate(0.005)
        .withReorder(0.01, 2 * MS).withDelayNs(0, 300_000);

    /** About 10% loss end to end, more reordering and duplication, and jitter of up to 1 ms per hop. */
    private static final Impairment HEAVY = Impairment.NONE.withLoss(0.052).withDuplicate(0.02)
        .withReorder(0.03, 2 * MS).withDelayNs(200_000, MS);

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3})
    void twentyMegabytesEachWayArriveIntactThroughModerateImpairment(final long seed)
    {
        bidirectional("bulk20MB", seed, MODERATE, 20 * 1024 * 1024, 3_600 * SECOND);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {11, 12, 13, 14, 15, 16, 17, 18})
    void twoMegabytesEachWayArriveIntactThroughTenPercentLoss(final long seed)
    {
        bidirectional("heavy2MB", seed, HEAVY, 2 * 1024 * 1024, 3_600 * SECOND);
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36})
    void smallTransfersEachWaySurviveHeavyImpairment(final long seed)
    {
        // short transfers end in the handshake and the FINs, where losses hurt most
        bidirectional("small", seed, HEAVY.withLoss(0.1), (int)(seed * 997 % 20_000), 3_600 * SECOND);
    }

    /**
     * The smallest scenario the bidirectional simulations fail on: both ends send 8 segments at once, every ACK
     * is lost for 100 ms, so both retransmission timers fire and both ends go back to SND.UNA. Each end has
     * received all 8 of the other's segments, so an ACK that carries SEQ = SND.NXT (rewound to SND.UNA + 1 MSS)
     * is below the receiver's RCV.NXT: unacceptable (RFC 9293 §3.10.7.4 first check), dropped with its ACK field
     * unread. Neither end ever learns its data arrived; the connection dies of the user timeout. An ACK with no
     * data must carry the highest sequence number sent (SND.MAX; the RFC's SND.NXT never moves back).
     * With RFC 7323 timestamps too, where a full segment is 1448 bytes (RFC 6691: 12 bytes of options per segment).
     */
    @ParameterizedTest(name = "timestamps {0}")
    @ValueSource(booleans = {false, true})
    void bothEndsRetransmittingAfterLostAcksStillAcceptEachOthersAcks(final boolean timestamps)
    {
        final Net n = new Net(1, Impairment.NONE, tcp -> tcp.timestamps(timestamps));
        final TwoStacks net = n.net;
        final int bytes = 8 * (timestamps ? 1448 : 1460);
        final Peer a = new Peer(new byte[0], randomBytes(bytes, 2));
        final Peer b = new Peer(new byte[0], randomBytes(bytes, 1));
        a.shutdownWhenWritten = false;
        b.shutdownWhenWritten = false;
        n.verify("lostAcksBothWays", () ->
        {
            net.b.tcp().listen(PORT, l -> b.start(l.accept().handler(b)));
            net.a.tcp().connect(B, PORT, a, net.clock.nanoTime());
            assertTrue(net.runUntil(() -> a.connection != null && b.connection != null, SECOND), "connected");
            net.runFor(100 * MS);
            // both write at the same instant; the data goes out in the next duty cycle of each stack
            assertEquals(bytes, a.connection.write(b.expected, 0, bytes));
            assertEquals(bytes, b.connection.write(a.expected, 0, bytes));
            net.a.doWork(net.nowNs());
            net.b.doWork(net.nowNs());
            n.devices[0].transmitImpairment(Impairment.NONE.withLoss(1));
            n.devices[1].transmitImpairment(Impairment.NONE.withLoss(1));
            net.runFor(100 * MS);
            assertEquals(bytes, a.received, "B's data reached A");
            assertEquals(bytes, b.received, "A's data reached B");
            n.devices[0].transmitImpairment(Impairment.NONE);
            n.devices[1].transmitImpairment(Impairment.NONE);
            final boolean acked = net.runUntil(() -> a.connection.sndUna() == a.connection.sndMax()
                && b.connection.sndUna() == b.connection.sndMax(), 10 * SECOND);
            assertTrue(acked, "after 10 s the ACKs still do not get through; A: " + a.status() + "; B: "
                + b.status());
        });
    }

    // ------------------------------------------------------------------------------------------------ slow reader

    /** Reads only when told: the slow phase reads 1 KiB per tick, the fast phase drains on every event. */
    static final class Reader implements TcpHandler
    {
        final byte[] expected;
        final byte[] chunk = new byte[64 * 1024];
        TcpConnection connection;
        int received;
        boolean fast;
        boolean endOfStream;
        long firstMismatch = -1;

        Reader(final byte[] expected)
        {
            this.expected = expected;
        }

        int read(final int max)
        {
            int total = 0;
            while (total < max)
            {
                final int n = connection.read(chunk, 0, Math.min(chunk.length, max - total));
                if (n <= 0)
                {
                    break;
                }
                if (firstMismatch < 0)
                {
                    final int m = Arrays.mismatch(chunk, 0, n, expected, received, Math.min(received + n,
                        expected.length));
                    if (m >= 0)
                    {
                        firstMismatch = received + m;
                    }
                }
                received += n;
                total += n;
            }
            if (connection.isEndOfStream())
            {
                endOfStream = true;
            }
            return total;
        }

        @Override
        public void onReadable(final TcpConnection c)
        {
            if (fast)
            {
                read(Integer.MAX_VALUE);
            }
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            if (fast)
            {
                read(Integer.MAX_VALUE);
            }
        }
    }

    /** Simulated time for A to send {@code bytes} to a fast reader on a clean link, from connect to the last byte. */
    private static long cleanTransferNs(final int bytes)
    {
        final TwoStacks net = new TwoStacks(LATENCY_NS, c -> c, c -> c, d -> d, d -> d);
        net.link.observer(null);
        final byte[] data = randomBytes(bytes, 99);
        final Reader reader = new Reader(data);
        reader.fast = true;
        net.b.tcp().listen(PORT, l ->
        {
            reader.connection = l.accept().handler(reader);
            reader.read(Integer.MAX_VALUE);
        });
        final long start = net.nowNs();
        net.a.tcp().connect(B, PORT, new TcpPeers.Sender(data, true), net.clock.nanoTime());
        assertTrue(net.runUntil(() -> reader.received == bytes, 600 * SECOND), "clean transfer");
        return net.nowNs() - start;
    }

    @Test
    void aSlowReaderThenAFastOneNeitherDeadlocksNorStaysSlow()
    {
        final long seed = 1;
        final int total = 4 * 1024 * 1024;
        final Net n = new Net(seed, Impairment.NONE);
        final TwoStacks net = n.net;
        final byte[] data = randomBytes(total, seed);
        final Reader reader = new Reader(data);
        final TcpPeers.Sender sender = new TcpPeers.Sender(data, true);
        final long[] slowPhase = new long[3];
        final long[] fastNs = new long[1];
        n.verify("slowReader", () ->
        {
            net.b.tcp().listen(PORT, l -> reader.connection = l.accept().handler(reader));
            net.a.tcp().connect(B, PORT, sender, net.clock.nanoTime());
            assertTrue(net.runUntil(() -> reader.connection != null && reader.connection.readable() > 0,
                10 * SECOND), "connected");

            // slow: 1 KiB every 10 ms for 10 s of simulated time; the receive buffer must never run dry for
            // long, which it would if the window updates were late or only the persist timer reopened it
            int shortReads = 0;
            for (int tick = 0; tick < 1000; tick++)
            {
                net.runFor(10 * MS);
                final int got = reader.read(1024);
                if (got < 1024)
                {
                    shortReads++;
                }
            }
            slowPhase[0] = reader.received;
            slowPhase[1] = shortReads;
            assertTrue(shortReads <= 5, "the slow reader found the buffer empty " + shortReads + " times of 1000: "
                + "window updates are late (" + reader.received + " bytes read)");
            assertTrue(reader.received >= 990 * 1024, "read " + reader.received);

            // fast: drain everything that is there and everything that comes
            reader.fast = true;
            final long switchNs = net.nowNs();
            reader.read(Integer.MAX_VALUE);
            assertTrue(net.runUntil(() -> reader.received == total, 600 * SECOND),
                "fast phase stalled at " + reader.received + " of " + total);
            fastNs[0] = net.nowNs() - switchNs;
            assertEquals(-1, reader.firstMismatch, "corrupted at " + reader.firstMismatch);
            net.runUntil(() -> reader.endOfStream, 10 * SECOND);
            assertTrue(reader.endOfStream, "end of stream");
        });
        final int remaining = (int)(total - slowPhase[0]);
        final long cleanNs = cleanTransferNs(remaining);
        System.out.printf("slow reader: %d bytes in 10 s slow (%d short reads); the remaining %d bytes took %.1f ms"
            + " after speeding up, %.1f ms on a fresh clean connection%n", slowPhase[0], slowPhase[1], remaining,
            fastNs[0] / 1e6, cleanNs / 1e6);
        assertTrue(fastNs[0] <= 2 * cleanNs, "after the reader sped up, " + remaining + " bytes took "
            + fastNs[0] / 1e6 + " ms, more than twice the " + cleanNs / 1e6 + " ms of a clean transfer");
        assertEquals(0, net.a.counters().get(Counter.STACK_INTERNAL_ERRORS));
    }

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {41, 42, 43})
    void aSlowReaderOnALossyLinkStillGetsEverything(final long seed)
    {
        final int total = 512 * 1024;
        final Net n = new Net(seed, MODERATE);
        final TwoStacks net = n.net;
        final byte[] data = randomBytes(total, seed);
        final Reader reader = new Reader(data);
        n.verify("slowReaderLossy", () ->
        {
            net.b.tcp().listen(PORT, l -> reader.connection = l.accept().handler(reader));
            net.a.tcp().connect(B, PORT, new TcpPeers.Sender(data, true), net.clock.nanoTime());
            assertTrue(net.runUntil(() -> reader.connection != null, 30 * SECOND), "connected");
            for (int tick = 0; tick < 300; tick++)
            {
                net.runFor(10 * MS);
                reader.read(1024);
            }
            reader.fast = true;
            reader.read(Integer.MAX_VALUE);
            assertTrue(net.runUntil(() -> reader.endOfStream, 600 * SECOND),
                "stalled at " + reader.received + " of " + total + ", state " + reader.connection.state());
            assertEquals(total, reader.received);
            assertEquals(-1, reader.firstMismatch, "corrupted at " + reader.firstMismatch);
        });
    }

    // ------------------------------------------------------------------------------------------------ pcap

    /**
     * Keeps the last {@code capacity} frames crossing a link and writes them as a classic libpcap file
     * (LINKTYPE_ETHERNET, microsecond timestamps). Each slot is allocated the first time it is used.
     */
    static final class PcapRing implements FrameObserver
    {
        private static final int SNAP = 1514;
        private final byte[][] frames;
        private final int[] lengths;
        private final long[] times;
        private long count;

        PcapRing(final int capacity)
        {
            frames = new byte[capacity][];
            lengths = new int[capacity];
            times = new long[capacity];
        }

        @Override
        public void onFrame(final boolean fromA, final DirectBuffer buffer, final int offset, final int length,
            final long nowNs)
        {
            final int slot = (int)(count++ % frames.length);
            final int n = Math.min(length, SNAP);
            if (frames[slot] == null)
            {
                frames[slot] = new byte[SNAP];
            }
            buffer.getBytes(offset, frames[slot], 0, n);
            lengths[slot] = length;
            times[slot] = nowNs;
        }

        int size()
        {
            return (int)Math.min(count, frames.length);
        }

        void write(final Path file) throws IOException
        {
            Files.createDirectories(file.getParent());
            try (OutputStream os = Files.newOutputStream(file))
            {
                write(os);
            }
        }

        void write(final OutputStream os) throws IOException
        {
            final DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(os));
            // global header, little-endian: magic, version 2.4, thiszone, sigfigs, snaplen, LINKTYPE_ETHERNET
            out.writeInt(Integer.reverseBytes(0xA1B2C3D4));
            out.writeShort(Short.reverseBytes((short)2));
            out.writeShort(Short.reverseBytes((short)4));
            out.writeInt(0);
            out.writeInt(0);
            out.writeInt(Integer.reverseBytes(65535));
            out.writeInt(Integer.reverseBytes(1));
            final long first = Math.max(0, count - frames.length);
            for (long i = first; i < count; i++)
            {
                final int slot = (int)(i % frames.length);
                final long us = times[slot] / 1_000;
                final int captured = Math.min(lengths[slot], SNAP);
                out.writeInt(Integer.reverseBytes((int)(us / 1_000_000)));
                out.writeInt(Integer.reverseBytes((int)(us % 1_000_000)));
                out.writeInt(Integer.reverseBytes(captured));
                out.writeInt(Integer.reverseBytes(lengths[slot]));
                out.write(frames[slot], 0, captured);
            }
            out.flush();
        }
    }

    @Test
    void thePcapRingWritesClassicLibpcapWithTheLastFrames() throws IOException
    {
        final PcapRing ring = new PcapRing(2);
        final org.agrona.concurrent.UnsafeBuffer b = new org.agrona.concurrent.UnsafeBuffer(new byte[60]);
        for (int i = 1; i <= 3; i++)
        {
            b.putByte(0, (byte)i);
            ring.onFrame(true, b, 0, 60, i * 1_500_000_000L + 7_000);
        }
        final java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        ring.write(bytes);
        final java.nio.ByteBuffer p = java.nio.ByteBuffer.wrap(bytes.toByteArray())
            .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(24 + 2 * (16 + 60), p.remaining());
        assertEquals(0xA1B2C3D4, p.getInt());
        assertEquals(2, p.getShort());
        assertEquals(4, p.getShort());
        p.position(20);
        assertEquals(1, p.getInt(), "LINKTYPE_ETHERNET");
        // the oldest kept frame is the second: t = 3.000007 s
        assertEquals(3, p.getInt());
        assertEquals(7, p.getInt());
        assertEquals(60, p.getInt());
        assertEquals(60, p.getInt());
        assertEquals(2, p.get());
    }
}
