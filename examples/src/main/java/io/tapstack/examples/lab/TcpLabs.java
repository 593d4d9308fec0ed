package io.tapstack.examples.lab;

import io.tapstack.StackCounters.Counter;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.tcp.TcpInfo;
import io.tapstack.tcp.TcpState;
import io.tapstack.wire.TcpFlags;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static io.tapstack.examples.lab.LabBench.B;
import static io.tapstack.examples.lab.LabBench.MS;
import static io.tapstack.examples.lab.LabBench.SECOND;

/** The TCP labs on one connection: the handshake and the close, loss recovery, flow control. */
final class TcpLabs
{
    private TcpLabs()
    {
    }

    /** {@code tcp-handshake}: a lost SYN, the three-way handshake, a request and a reply, the close; a RST. */
    static final class Handshake implements Lab
    {
        @Override
        public String name()
        {
            return "tcp-handshake";
        }

        @Override
        public String summary()
        {
            return "three-way handshake (its first SYN lost), a request and reply, the close, TIME-WAIT; a RST";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final boolean[] dropped = {false};
            final StringBuilder reply = new StringBuilder();
            final String[] refused = {null};
            final TcpConnection client;
            final TcpInfo info = new TcpInfo();
            try (LabBench bench = LabBench.builder(dir, name()).latencyNs(5 * MS)
                .dropAtoB((index, frame, length, timeNs) ->
                {
                    // the very first SYN is lost: RFC 6298 §5.7 has it sent again after the initial RTO of 1 s
                    if (!dropped[0] && LossWatch.tcpFlags(frame, length) == TcpFlags.SYN)
                    {
                        dropped[0] = true;
                        return true;
                    }
                    return false;
                }).build())
            {
                bench.b.tcp().listen(80, listener ->
                {
                    final TcpConnection c = listener.accept();
                    c.handler(new TcpHandler()
                    {
                        private final byte[] buffer = new byte[256];

                        @Override
                        public void onReadable(final TcpConnection s)
                        {
                            if (s.read(buffer, 0, buffer.length) > 0)
                            {
                                final byte[] answer = "hello, 10.0.0.1\n".getBytes(StandardCharsets.US_ASCII);
                                s.write(answer, 0, answer.length);
                            }
                        }

                        @Override
                        public void onEndOfStream(final TcpConnection s)
                        {
                            s.close(); // the client closed first: B's FIN follows its ACK (CLOSE-WAIT, LAST-ACK)
                        }
                    });
                });
                client = bench.a.tcp().connect(B, 80, new TcpHandler()
                {
                    private final byte[] buffer = new byte[256];

                    @Override
                    public void onConnected(final TcpConnection c)
                    {
                        // 100 ms later, so the handshake's last ACK goes alone (data written now would carry it)
                        bench.at(bench.labTimeNs() + 100 * MS, () ->
                        {
                            final byte[] request = "hello, 10.0.0.2\n".getBytes(StandardCharsets.US_ASCII);
                            c.write(request, 0, request.length);
                        });
                    }

                    @Override
                    public void onReadable(final TcpConnection c)
                    {
                        int n;
                        while ((n = c.read(buffer, 0, buffer.length)) > 0)
                        {
                            reply.append(new String(buffer, 0, n, StandardCharsets.US_ASCII));
                            c.close(); // A closes first: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT
                        }
                    }
                }, bench.nowNs());
                bench.sample(bench.a, client, "", 10 * MS);
                bench.runUntil(() -> client.state() == TcpState.CLOSED || client.state() == TcpState.TIME_WAIT,
                    10 * SECOND);
                final long established = bench.labTimeNs();
                bench.runFor(500 * MS);
                // a connection to a port nobody listens on: B answers the SYN with a RST (RFC 9293 §3.10.7.1)
                bench.a.tcp().connect(B, 81, new TcpHandler()
                {
                    @Override
                    public void onReset(final TcpConnection c)
                    {
                        refused[0] = c.resetReason();
                    }
                }, bench.nowNs());
                bench.runFor(SECOND);
                info.capture(client, bench.nowNs());
                out.printf("reply: %s", reply);
                out.printf("client state after the close: %s (TIME-WAIT holds the 4-tuple for 2 MSL); closed at "
                    + "%.3f s%n", client.state(), established / 1e9);
                out.printf("SYN resent %d time(s); RTO after the handshake %.0f ms; port 81: %s%n",
                    info.retransmitsSyn(), info.rtoNs() / 1e6, refused[0] == null ? "no RST" : "reset (" + refused[0]
                        + ")");
                out.printf("B sent %d RST(s)%n", bench.b.counters().get(Counter.TCP_RST_TX));
            }
            final Csv csv = Csv.read(dir.resolve(name() + ".csv"));
            final int points = Charts.save(Charts.tcpChart("tcp-handshake: the client's windows and timers "
                + "(5 ms each way, first SYN lost)", csv, java.util.List.of(), "cwnd", "bytes_in_flight"), dir, name());
            return new Result(reply.length() > 0 && info.retransmitsSyn() == 1 && refused[0] != null, points);
        }
    }

    /** {@code tcp-loss}: one lost segment (fast retransmit), then a blackout (RTO and its backoff). */
    static final class Loss implements Lab
    {
        static final long BYTES = 3_000_000;
        static final long BLACKOUT_FROM_NS = 600 * MS;
        static final long BLACKOUT_TO_NS = 1_300 * MS;

        @Override
        public String name()
        {
            return "tcp-loss";
        }

        @Override
        public String summary()
        {
            return "3 MB over 20 ms RTT: one segment lost (fast retransmit), then 0.7 s of blackout (RTO, backoff)";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final int[] dataSegments = {0};
            final Bulk.Sink sink = new Bulk.Sink();
            final Bulk.Source source = new Bulk.Source(BYTES, true);
            final TcpInfo info = new TcpInfo();
            final int lossCount;
            try (LabBench bench = LabBench.builder(dir, name()).latencyNs(10 * MS)
                // RACK off: the loss is found the classic way, by three duplicate ACKs (RFC 5681 §3.2, RFC 6675)
                .tcpA(t -> t.rack(false))
                // B reads everything at once, but its window is fixed at 64 KB: 64 KB per round trip
                .tcpB(t -> t.receiveBufferBytes(65536).receiveBufferMaxBytes(65536))
                .dropAtoB((index, frame, length, timeNs) ->
                {
                    if (LossWatch.tcpPayload(frame, length) > 0 && ++dataSegments[0] == 60)
                    {
                        return true; // the 60th data segment A sends
                    }
                    return timeNs >= BLACKOUT_FROM_NS && timeNs < BLACKOUT_TO_NS; // the link goes dark
                }).build())
            {
                bench.b.tcp().listen(5001, l -> l.accept().handler(sink));
                final TcpConnection client = bench.a.tcp().connect(B, 5001, source, bench.nowNs());
                bench.sample(bench.a, client, "", 5 * MS);
                bench.runUntil(() -> sink.endOfStream, 30 * SECOND);
                bench.runFor(100 * MS);
                info.capture(client, bench.nowNs());
                lossCount = bench.losses().size();
                out.printf("%d bytes delivered in %.3f s; %d frames lost on the way%n", sink.received,
                    bench.labTimeNs() / 1e9, lossCount);
                out.printf("A resent %d segment(s) by fast retransmit/recovery and %d after RTOs (%d RTO expiries)%n",
                    info.retransmitsFastRecovery(), info.retransmitsTimeout(),
                    bench.a.counters().get(Counter.TCP_RTO_EXPIRIES));
            }
            final Csv csv = Csv.read(dir.resolve(name() + ".csv"));
            final int points = Charts.save(Charts.tcpChart("tcp-loss: the 60th data segment lost, "
                    + "then a blackout from 0.6 to 1.3 s (10 ms each way, 64 KB window)", csv,
                LabBench.readLosses(dir.resolve(name() + ".losses.csv")), "cwnd", "ssthresh", "bytes_in_flight"), dir, name());
            return new Result(sink.received == BYTES && info.retransmitsFastRecovery() >= 1
                && info.retransmitsTimeout() >= 2, points);
        }
    }

    /** {@code tcp-flow-control}: a slow reader, a window closing to zero, persist probes, the window update. */
    static final class FlowControl implements Lab
    {
        static final long BYTES = 400_000;

        @Override
        public String name()
        {
            return "tcp-flow-control";
        }

        @Override
        public String summary()
        {
            return "a slow reader with a 32 KB buffer: the window shrinks to zero, persist probes back off, it reopens";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final Bulk.Sink sink = new Bulk.Sink();
            sink.automatic = false;
            final Bulk.Source source = new Bulk.Source(BYTES, true);
            final TcpInfo info = new TcpInfo();
            try (LabBench bench = LabBench.builder(dir, name()).latencyNs(5 * MS)
                .tcpB(t -> t.receiveBufferBytes(32768).receiveBufferMaxBytes(32768))
                .build())
            {
                bench.b.tcp().listen(5001, l ->
                {
                    final TcpConnection server = l.accept().handler(sink);
                    sink.connection = server;
                    try
                    {
                        bench.sample(bench.b, server, "-receiver", 10 * MS);
                    }
                    catch (final IOException ex)
                    {
                        throw new java.io.UncheckedIOException(ex);
                    }
                });
                final TcpConnection client = bench.a.tcp().connect(B, 5001, source, bench.nowNs());
                bench.sample(bench.a, client, "", 10 * MS);
                // the application reads 4 KB every 100 ms for 1 s, stops for 4 s, then reads everything
                for (int k = 1; k <= 10; k++)
                {
                    bench.at(k * 100 * MS, () -> sink.readAtMost(4096));
                }
                bench.at(5 * SECOND, () ->
                {
                    sink.automatic = true;
                    sink.readAtMost(Long.MAX_VALUE);
                });
                bench.runUntil(() -> sink.endOfStream, 60 * SECOND);
                bench.runFor(100 * MS);
                info.capture(client, bench.nowNs());
                out.printf("%d bytes delivered in %.3f s; A sent %d zero-window probes; B's window was zero %d "
                    + "time(s) in its samples%n", sink.received, bench.labTimeNs() / 1e9, info.zeroWindowProbes(),
                    zeroWindowRows(dir));
            }
            final Csv csv = Csv.read(dir.resolve(name() + ".csv"));
            final int points = Charts.save(Charts.tcpChart("tcp-flow-control: the sender's view of a slow reader "
                    + "(32 KB receive buffer; reads stop from 1 s to 5 s)", csv, java.util.List.of(),
                "peer_window", "bytes_in_flight"), dir, name());
            return new Result(sink.received == BYTES && info.zeroWindowProbes() >= 2, points);
        }

        private int zeroWindowRows(final Path dir) throws IOException
        {
            final Csv csv = Csv.read(dir.resolve(name() + "-receiver.csv"));
            int rows = 0;
            for (int i = 0; i < csv.size(); i++)
            {
                rows += csv.number(i, "receive_window") == 0 && "sample".equals(csv.text(i, "event")) ? 1 : 0;
            }
            return rows;
        }
    }
}
