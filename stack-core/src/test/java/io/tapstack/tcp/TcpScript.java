package io.tapstack.tcp;

import io.tapstack.StackCounters.Counter;
import io.tapstack.testkit.Frames;
import io.tapstack.testkit.SingleStack;
import io.tapstack.wire.IpProtocol;
import io.tapstack.wire.TcpFlags;
import io.tapstack.wire.TcpHeader;
import io.tapstack.wire.TcpOptions;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static io.tapstack.testkit.SingleStack.PEER_IP;
import static io.tapstack.testkit.SingleStack.PEER_MAC;
import static io.tapstack.testkit.SingleStack.STACK_IP;
import static io.tapstack.testkit.SingleStack.STACK_MAC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * A scripted TCP peer (10.0.0.1) against one stack (10.0.0.2) in manual time: builds the peer's segments with the
 * right ports and addresses, remembers both initial sequence numbers, and asserts on the segments the stack sends
 * next, exactly. Sequence numbers in the script are relative: {@code stack(1)} is the stack's ISS + 1,
 * {@code peer(1)} the peer's ISS + 1.
 */
final class TcpScript
{
    static final byte[] NONE = new byte[0];
    static final long MS = 1_000_000L;
    static final long SECOND = 1_000_000_000L;
    static final int ACK = TcpFlags.ACK;
    static final int SYN = TcpFlags.SYN;
    static final int FIN = TcpFlags.FIN;
    static final int RST = TcpFlags.RST;
    static final int PSH = TcpFlags.PSH;

    /**
     * One segment the stack sent; {@code wscale} is -1 without a window scale option, {@code tsVal}/{@code tsEcr}
     * are meaningful when {@code ts}; {@code header} is the whole TCP header, options included.
     */
    record Seg(int flags, int seq, int ack, int window, int mss, byte[] data, int port, int wscale, boolean ts,
        int tsVal, int tsEcr, byte[] header, boolean sackPermitted, int[] sack)
    {
        int len()
        {
            return data.length;
        }

        @Override
        public String toString()
        {
            return TcpFlags.describe(flags) + " seq " + Integer.toUnsignedString(seq) + " ack "
                + Integer.toUnsignedString(ack) + " win " + window + " len " + data.length
                + (mss >= 0 ? " mss " + mss : "") + (wscale >= 0 ? " wscale " + wscale : "")
                + (ts ? " TSval " + Integer.toUnsignedString(tsVal) + " TSecr " + Integer.toUnsignedString(tsEcr) : "")
                + (sackPermitted ? " sackOK" : "") + (sack.length > 0 ? " sack " + java.util.Arrays.toString(sack) : "");
        }
    }

    final SingleStack s;
    final TcpLayer tcp;
    final TcpConfig config;
    int stackPort = 80;
    int peerPort = 40000;
    int peerIss = 0x1000_0000;
    int stackIss;
    int peerWindow = 65535;
    private final ArrayDeque<Seg> out = new ArrayDeque<>();
    final List<TcpConnection> accepted = new ArrayList<>();
    /** The SYN of the last {@link #connect}. */
    Seg syn;

    TcpScript()
    {
        this(c ->
        {
        });
    }

    TcpScript(final Consumer<TcpConfig> config)
    {
        this(new SingleStack(c ->
        {
            config.accept(c.tcp());
            return c;
        }));
    }

    /** A script against a stack whose whole configuration the test adjusts (the test kit's defaults first). */
    static TcpScript withStackConfig(final java.util.function.UnaryOperator<io.tapstack.StackConfig> config)
    {
        return new TcpScript(new SingleStack(config));
    }

    private TcpScript(final SingleStack stack)
    {
        s = stack;
        s.step();
        s.sent();
        s.learnPeer();
        tcp = s.stack.tcp();
        this.config = tcp.config();
    }

    int stack(final int relative)
    {
        return stackIss + relative;
    }

    int peer(final int relative)
    {
        return peerIss + relative;
    }

    long count(final Counter counter)
    {
        return s.stack.counters().get(counter);
    }

    // ------------------------------------------------------------------------------------------------ peer → stack

    void send(final int flags, final int seq, final int ack, final int window, final byte[] options,
        final byte[] data)
    {
        s.inject(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.TCP, 1, 0,
            Frames.tcp(PEER_IP, STACK_IP, peerPort, stackPort, seq, ack, flags, window, options, data)));
    }

    /** Puts a segment on the link without running a duty cycle: {@code s.step()} reads every segment queued. */
    void queue(final int flags, final int seq, final int ack, final byte[] options, final byte[] data)
    {
        s.queue(Frames.ipv4(STACK_MAC, PEER_MAC, PEER_IP, STACK_IP, IpProtocol.TCP, 1, 0,
            Frames.tcp(PEER_IP, STACK_IP, peerPort, stackPort, seq, ack, flags, peerWindow, options, data)));
    }

    void queue(final int flags, final int seq, final int ack, final byte[] data)
    {
        queue(flags, seq, ack, NONE, data);
    }

    void send(final int flags, final int seq, final int ack, final byte[] data)
    {
        send(flags, seq, ack, peerWindow, NONE, data);
    }

    void send(final int flags, final int seq, final int ack)
    {
        send(flags, seq, ack, peerWindow, NONE, NONE);
    }

    static byte[] mss(final int mss)
    {
        return new byte[] {2, 4, (byte)(mss >>> 8), (byte)mss};
    }

    /** A window scale option (RFC 7323 §2.2), NOP-padded to 4 bytes. */
    static byte[] wscale(final int shift)
    {
        return new byte[] {1, 3, 3, (byte)shift};
    }

    /** A timestamps option (RFC 7323 §3.2), NOP-padded to 12 bytes. */
    static byte[] ts(final int tsVal, final int tsEcr)
    {
        return new byte[] {1, 1, 8, 10, (byte)(tsVal >>> 24), (byte)(tsVal >>> 16), (byte)(tsVal >>> 8), (byte)tsVal,
            (byte)(tsEcr >>> 24), (byte)(tsEcr >>> 16), (byte)(tsEcr >>> 8), (byte)tsEcr};
    }

    /** SACK-permitted (RFC 2018 §2), NOP-padded to 4 bytes. */
    static byte[] sackPermitted()
    {
        return new byte[] {1, 1, 4, 2};
    }

    /** A SACK option (RFC 2018 §3) from edges left, right, left, right..., NOP-padded. */
    static byte[] sack(final int... edges)
    {
        final byte[] b = new byte[4 + 4 * edges.length];
        b[0] = 1;
        b[1] = 1;
        b[2] = 5;
        b[3] = (byte)(2 + 4 * edges.length);
        for (int i = 0; i < edges.length; i++)
        {
            final int e = edges[i];
            b[4 + 4 * i] = (byte)(e >>> 24);
            b[5 + 4 * i] = (byte)(e >>> 16);
            b[6 + 4 * i] = (byte)(e >>> 8);
            b[7 + 4 * i] = (byte)e;
        }
        return b;
    }

    /** The SACK blocks of a parsed segment as edges left, right, left, right... */
    private static int[] sackEdges(final TcpOptions o)
    {
        final int[] edges = new int[2 * o.sackBlockCount];
        for (int i = 0; i < o.sackBlockCount; i++)
        {
            edges[2 * i] = o.sackLeft[i];
            edges[2 * i + 1] = o.sackRight[i];
        }
        return edges;
    }

    /** Options one after the other, e.g. {@code options(mss(1460), ts(1, 0), wscale(7))}. */
    static byte[] options(final byte[]... parts)
    {
        final java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
        for (final byte[] p : parts)
        {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    static byte[] bytes(final int n)
    {
        final byte[] b = new byte[n];
        for (int i = 0; i < n; i++)
        {
            b[i] = (byte)(i * 7 + 1);
        }
        return b;
    }

    // ------------------------------------------------------------------------------------------------ stack → peer

    private void collect()
    {
        for (final Frames f : s.sent())
        {
            if (f.isArp())
            {
                continue;
            }
            assertEquals(IpProtocol.TCP, f.ipProtocol(), "only TCP expected");
            assertEquals(PEER_IP, f.ipDestination());
            final TcpHeader h = f.tcp();
            assertEquals(TcpHeader.Verdict.OK, h.validate(STACK_IP, PEER_IP), "checksum verifies");
            assertEquals(stackPort, h.sourcePort(), "source port");
            final TcpOptions o = new TcpOptions();
            o.parse(h.buffer(), h.optionsOffset(), h.optionsLength());
            final byte[] data = new byte[h.dataLength()];
            h.buffer().getBytes(h.dataOffset(), data);
            final byte[] header = new byte[h.headerLength()];
            h.buffer().getBytes(h.offset(), header);
            out.add(new Seg(h.flags(), h.sequenceNumber(), h.acknowledgmentNumber(), h.window(), o.mss, data,
                h.destinationPort(), o.windowScale, o.hasTimestamps, o.tsVal, o.tsEcr, header, o.sackPermitted,
                sackEdges(o)));
        }
    }

    /** The next segment the stack sent (fails when there is none). */
    Seg next()
    {
        collect();
        final Seg seg = out.poll();
        assertNotNull(seg, "expected a segment from the stack, got none");
        assertEquals(peerPort, seg.port, "destination port; got " + seg);
        return seg;
    }

    /** The next segment the stack sent, or null when there is none. */
    Seg nextOrNull()
    {
        collect();
        return out.poll();
    }

    /** The next segment, asserting flags, sequence and acknowledgment numbers exactly. */
    Seg expect(final int flags, final int seq, final int ack)
    {
        final Seg seg = next();
        final String what = "got " + seg;
        assertEquals(TcpFlags.describe(flags), TcpFlags.describe(seg.flags), "flags; " + what);
        assertEquals(Integer.toUnsignedString(seq), Integer.toUnsignedString(seg.seq), "seq; " + what);
        assertEquals(Integer.toUnsignedString(ack), Integer.toUnsignedString(seg.ack), "ack; " + what);
        return seg;
    }

    /** The next segment: flags, seq, ack and data length. */
    Seg expect(final int flags, final int seq, final int ack, final int dataLength)
    {
        final Seg seg = expect(flags, seq, ack);
        assertEquals(dataLength, seg.len(), "data length; got " + seg);
        return seg;
    }

    /** Nothing more was sent. */
    void expectNothing()
    {
        collect();
        assertTrue(out.isEmpty(), "expected no segment, got " + out);
    }

    // ------------------------------------------------------------------------------------------------ openings

    /** Listens on {@link #stackPort}; accepted connections are collected in {@link #accepted}. */
    TcpListener listen(final int backlog)
    {
        return tcp.listen(stackPort, backlog, l ->
        {
            TcpConnection c;
            while ((c = l.accept()) != null)
            {
                accepted.add(c);
            }
        });
    }

    /** SYN with MSS 1460 → SYN-ACK (learns the stack's ISS). */
    Seg synToListener(final int mss)
    {
        return synToListener(mss > 0 ? mss(mss) : NONE);
    }

    /** A SYN with these options → SYN-ACK (learns the stack's ISS). */
    Seg synToListener(final byte[] options)
    {
        send(SYN, peer(0), 0, peerWindow, options, NONE);
        final Seg synAck = next();
        assertEquals(TcpFlags.describe(SYN | ACK), TcpFlags.describe(synAck.flags), "SYN-ACK; got " + synAck);
        assertEquals(peer(1), synAck.ack);
        stackIss = synAck.seq;
        return synAck;
    }

    /** A full passive open; returns the accepted connection, in ESTABLISHED. */
    TcpConnection passiveOpen(final int mss, final TcpHandler handler)
    {
        final TcpListener listener = listen(16);
        synToListener(mss);
        send(ACK, peer(1), stack(1));
        expectNothing();
        assertEquals(1, accepted.size(), "accepted");
        final TcpConnection c = accepted.remove(0);
        assertEquals(TcpState.ESTABLISHED, c.state());
        if (handler != null)
        {
            c.handler(handler);
        }
        listener.close();
        return c;
    }

    TcpConnection passiveOpen()
    {
        return passiveOpen(1460, null);
    }

    /** connect() → SYN; the stack's ephemeral port becomes {@link #stackPort}. */
    TcpConnection connect(final TcpHandler handler)
    {
        final TcpConnection c = tcp.connect(PEER_IP, peerPort, handler, s.clock.nanoTime());
        assertNotNull(c);
        stackPort = c.localPort();
        s.step();
        final Seg syn = next();
        assertEquals(TcpFlags.describe(SYN), TcpFlags.describe(syn.flags), "SYN; got " + syn);
        assertEquals(0, syn.ack);
        stackIss = syn.seq;
        this.syn = syn;
        return c;
    }

    /** A full active open: SYN → SYN-ACK (MSS {@code mss}) → ACK. */
    TcpConnection activeOpen(final int mss, final TcpHandler handler)
    {
        final TcpConnection c = connect(handler);
        send(SYN | ACK, peer(0), stack(1), peerWindow, mss > 0 ? mss(mss) : NONE, NONE);
        assertEquals(TcpState.ESTABLISHED, c.state());
        expect(ACK, stack(1), peer(1), 0);
        return c;
    }

    /** Writes all of {@code data} (fails if the send buffer does not take it) and runs a duty cycle. */
    void write(final TcpConnection c, final byte[] data)
    {
        assertEquals(data.length, c.write(data, 0, data.length));
        s.step();
    }

    /** Records what a handler is told. */
    static final class Recorder implements TcpHandler
    {
        final List<String> events = new ArrayList<>();

        @Override
        public void onConnected(final TcpConnection c)
        {
            events.add("connected");
        }

        @Override
        public void onReadable(final TcpConnection c)
        {
            events.add("readable");
        }

        @Override
        public void onEndOfStream(final TcpConnection c)
        {
            events.add("end");
        }

        @Override
        public void onClosed(final TcpConnection c)
        {
            events.add("closed");
        }

        @Override
        public void onReset(final TcpConnection c)
        {
            events.add("reset: " + c.resetReason());
        }
    }

    static void failNow(final String why)
    {
        fail(why);
    }
}
