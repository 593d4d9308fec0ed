package io.tapstack.examples.lab;

import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.Impairment;
import io.tapstack.dev.RateLimit;
import io.tapstack.udp.UdpEndpoint;
import io.tapstack.udp.UdpHandler;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.UnsafeBuffer;
import org.jfree.data.xy.XYSeries;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static io.tapstack.examples.lab.LabBench.A;
import static io.tapstack.examples.lab.LabBench.B;
import static io.tapstack.examples.lab.LabBench.MS;
import static io.tapstack.examples.lab.LabBench.SECOND;

/** The labs below TCP: ARP and ping, IPv4 fragmentation, UDP echo. */
final class NetworkLabs
{
    private NetworkLabs()
    {
    }

    /** {@code arp-ping}: the first ping waits for ARP; a ping to an address nobody has gets no answer. */
    static final class ArpPing implements Lab
    {
        static final int NOBODY = Ipv4Address.parse("10.0.0.3");

        @Override
        public String name()
        {
            return "arp-ping";
        }

        @Override
        public String summary()
        {
            return "ARP before the first ping, the cache after it, and an address nobody answers for";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final double[] rttMs = new double[6];
            java.util.Arrays.fill(rttMs, Double.NaN);
            try (LabBench bench = LabBench.builder(dir, name()).latencyNs(MS).build())
            {
                bench.a.echoListener((source, id, seq, length, rtt) -> rttMs[seq] = rtt / 1e6);
                for (int seq = 1; seq <= 3; seq++)
                {
                    final int s = seq;
                    bench.at(100 * MS + (seq - 1) * SECOND, () -> bench.a.ping(B, 1, s, 56, bench.nowNs()));
                }
                bench.at(3_100 * MS, () -> bench.a.ping(NOBODY, 1, 4, 56, bench.nowNs()));
                bench.runFor(8 * SECOND); // long enough for A to give up on 10.0.0.3
                try (Writer csv = Files.newBufferedWriter(bench.file(".csv"), StandardCharsets.UTF_8))
                {
                    csv.write("seq,target,rtt_ms\n");
                    for (int seq = 1; seq <= 4; seq++)
                    {
                        csv.write(seq + "," + (seq < 4 ? "10.0.0.2" : "10.0.0.3") + ","
                            + (Double.isNaN(rttMs[seq]) ? "" : String.format("%.3f", rttMs[seq])) + "\n");
                    }
                }
                out.printf("ping 10.0.0.2: %.3f ms (ARP first), %.3f ms, %.3f ms; 10.0.0.3: %s%n", rttMs[1], rttMs[2],
                    rttMs[3], Double.isNaN(rttMs[4]) ? "no reply" : "a reply?");
                out.printf("A sent %d ARP requests, %d gratuitous; %d resolutions failed%n",
                    bench.a.counters().get(Counter.ARP_TX_REQUESTS), bench.a.counters().get(Counter.ARP_TX_GRATUITOUS),
                    bench.a.counters().get(Counter.ARP_RESOLUTION_FAILED));
            }
            final Csv csv = Csv.read(dir.resolve(name() + ".csv"));
            final XYSeries rtt = Charts.series("RTT to 10.0.0.2", csv, "seq", "rtt_ms", 1.0);
            final int points = Charts.save(Charts.xyChart("arp-ping: round-trip time of each ping (1 ms each way)",
                "ping sequence number", "ms", false, List.of(rtt), List.of()), dir, name());
            return new Result(rttMs[1] > rttMs[2] && !Double.isNaN(rttMs[3]) && Double.isNaN(rttMs[4]), points);
        }
    }

    /** {@code fragmentation}: datagrams larger than the MTU go in fragments; losing one loses the datagram. */
    static final class Fragmentation implements Lab
    {
        static final int[] SIZES = {56, 1472, 1473, 3000, 4000, 8972, 20000};

        @Override
        public String name()
        {
            return "fragmentation";
        }

        @Override
        public String summary()
        {
            return "pings larger than the 1500-byte MTU in fragments over a 10 Mbit/s link; one fragment lost";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final int n = SIZES.length;
            final double[] rttMs = new double[n + 2];
            final long[] fragmentsOut = new long[n + 2];
            final long[] fragmentsBack = new long[n + 2];
            java.util.Arrays.fill(rttMs, Double.NaN);
            final Impairment tenMbit = Impairment.NONE.withRate(RateLimit.of(10_000_000L).withBurst(1514).withLimit(256 * 1024));
            final long lostPingAt = 200 * MS + n * 500 * MS;
            final boolean[] dropped = {false};
            final long timeouts;
            try (LabBench bench = LabBench.builder(dir, name()).latencyNs(MS).aToB(tenMbit).bToA(tenMbit)
                // the last ping's second fragment (offset 1480) is lost on the way
                .dropAtoB((index, frame, length, timeNs) ->
                {
                    final boolean secondFragment = length > 34 && frame.getByte(23) == 1
                        && (frame.getShort(20, ByteOrder.BIG_ENDIAN) & 0x1FFF) == 1480 / 8;
                    if (timeNs >= lostPingAt && secondFragment && !dropped[0])
                    {
                        dropped[0] = true;
                        return true;
                    }
                    return false;
                }).build())
            {
                bench.a.echoListener((source, id, seq, length, rtt) -> rttMs[seq] = rtt / 1e6);
                for (int i = 0; i <= n; i++)
                {
                    final int seq = i + 1;
                    final int size = i < n ? SIZES[i] : 4000;
                    bench.at(200 * MS + i * 500 * MS, () ->
                    {
                        final long aBefore = bench.a.counters().get(Counter.IP_FRAGMENTS_TX);
                        final long bBefore = bench.b.counters().get(Counter.IP_FRAGMENTS_TX);
                        bench.a.ping(B, 2, seq, size, bench.nowNs());
                        bench.at(bench.labTimeNs() + 450 * MS, () ->
                        {
                            fragmentsOut[seq] = bench.a.counters().get(Counter.IP_FRAGMENTS_TX) - aBefore;
                            fragmentsBack[seq] = bench.b.counters().get(Counter.IP_FRAGMENTS_TX) - bBefore;
                        });
                    });
                }
                bench.runFor(lostPingAt + 31 * SECOND); // B's reassembly gives up after 30 s (RFC 791)
                timeouts = bench.b.counters().get(Counter.IP_REASM_TIMEOUTS);
                try (Writer csv = Files.newBufferedWriter(bench.file(".csv"), StandardCharsets.UTF_8))
                {
                    csv.write("seq,icmp_data_bytes,ip_datagram_bytes,fragments_sent,fragments_back,rtt_ms\n");
                    for (int i = 0; i <= n; i++)
                    {
                        final int seq = i + 1;
                        final int size = i < n ? SIZES[i] : 4000;
                        csv.write(seq + "," + size + "," + (size + 28) + "," + fragmentsOut[seq] + ","
                            + fragmentsBack[seq] + "," + (Double.isNaN(rttMs[seq]) ? "" : String.format("%.3f",
                            rttMs[seq])) + "\n");
                    }
                }
                for (int i = 0; i <= n; i++)
                {
                    final int seq = i + 1;
                    out.printf("ping -s %5d: %2d fragment(s) out, %2d back, %s%n", i < n ? SIZES[i] : 4000,
                        fragmentsOut[seq], fragmentsBack[seq], Double.isNaN(rttMs[seq]) ? "no reply (a fragment was lost)"
                            : String.format("%.3f ms", rttMs[seq]));
                }
                out.printf("B: %d datagrams reassembled, %d reassembly timed out%n",
                    bench.b.counters().get(Counter.IP_REASSEMBLED), timeouts);
            }
            final Csv csv = Csv.read(dir.resolve(name() + ".csv"));
            final int points = Charts.save(Charts.xyChart("fragmentation: RTT and fragments by datagram size "
                    + "(MTU 1500, 10 Mbit/s, 1 ms each way)", "IP datagram bytes", "ms / fragments", true,
                List.of(Charts.series("RTT (ms)", csv, "ip_datagram_bytes", "rtt_ms", 1.0),
                    Charts.series("fragments sent", csv, "ip_datagram_bytes", "fragments_sent", 1.0)), List.of()),
                dir, name());
            return new Result(timeouts == 1 && Double.isNaN(rttMs[n + 1]) && fragmentsOut[2] == 0
                && fragmentsOut[3] == 2, points);
        }
    }

    /** {@code udp-echo}: datagrams to an echo server through 10% loss each way; one to a closed port. */
    static final class UdpEcho implements Lab
    {
        static final int COUNT = 40;

        @Override
        public String name()
        {
            return "udp-echo";
        }

        @Override
        public String summary()
        {
            return "UDP echo (RFC 862) through 10% loss each way: nothing resends; a closed port answers ICMP";
        }

        @Override
        public Result run(final Path dir, final PrintStream out) throws IOException
        {
            final double[] rttMs = new double[COUNT + 1];
            java.util.Arrays.fill(rttMs, Double.NaN);
            final int[] icmpErrors = {0};
            final Impairment lossy = Impairment.NONE.withLoss(0.10);
            try (LabBench bench = LabBench.builder(dir, name()).latencyNs(2 * MS).seed(11).aToB(lossy).bToA(lossy)
                .build())
            {
                final UnsafeBuffer buffer = new UnsafeBuffer(new byte[2048]);
                bench.b.udp().bind(7, endpoint ->
                {
                    int length;
                    while ((length = endpoint.receive(buffer, 0, buffer.capacity())) >= 0)
                    {
                        endpoint.send(endpoint.lastRemoteAddress(), endpoint.lastRemotePort(), buffer, 0, length,
                            bench.nowNs());
                    }
                });
                final UnsafeBuffer reply = new UnsafeBuffer(new byte[2048]);
                final UdpEndpoint client = bench.a.udp().bind(5000, new UdpHandler()
                {
                    @Override
                    public void onReadable(final UdpEndpoint endpoint)
                    {
                        while (endpoint.receive(reply, 0, reply.capacity()) >= 0)
                        {
                            final int seq = reply.getInt(0, ByteOrder.BIG_ENDIAN);
                            final long sentNs = reply.getLong(4, ByteOrder.BIG_ENDIAN);
                            if (seq >= 1 && seq <= COUNT)
                            {
                                rttMs[seq] = (bench.nowNs() - sentNs) / 1e6;
                            }
                        }
                    }

                    @Override
                    public void onIcmpError(final UdpEndpoint endpoint, final int type, final int code,
                        final int remoteAddress, final int remotePort)
                    {
                        icmpErrors[0]++;
                    }
                });
                final UnsafeBuffer request = new UnsafeBuffer(new byte[100]);
                for (int seq = 1; seq <= COUNT; seq++)
                {
                    final int s = seq;
                    bench.at(100 * MS + (seq - 1) * 50 * MS, () ->
                    {
                        request.putInt(0, s, ByteOrder.BIG_ENDIAN);
                        request.putLong(4, bench.nowNs(), ByteOrder.BIG_ENDIAN); // the send time, echoed back
                        client.send(B, 7, request, 0, request.capacity(), bench.nowNs());
                    });
                }
                // port 9 has no socket on B: RFC 1122 §4.1.3.1 port unreachable (unless this datagram is lost)
                for (int k = 0; k < 3; k++)
                {
                    bench.at(2_200 * MS + k * 100 * MS, () -> client.send(B, 9, request, 0, 100, bench.nowNs()));
                }
                bench.runFor(3 * SECOND);
                int answered = 0;
                try (Writer csv = Files.newBufferedWriter(bench.file(".csv"), StandardCharsets.UTF_8))
                {
                    csv.write("seq,sent_s,rtt_ms,lost\n");
                    for (int seq = 1; seq <= COUNT; seq++)
                    {
                        final boolean lost = Double.isNaN(rttMs[seq]);
                        answered += lost ? 0 : 1;
                        csv.write(seq + "," + String.format("%.3f", 0.1 + (seq - 1) * 0.05) + ","
                            + (lost ? "" : String.format("%.3f", rttMs[seq])) + "," + (lost ? 1 : 0) + "\n");
                    }
                }
                out.printf("%d of %d datagrams came back (10%% loss each way: about 81%% expected); %d ICMP port "
                    + "unreachable for 3 datagrams to port 9%n", answered, COUNT, icmpErrors[0]);
                out.printf("frames lost on the link: %d (see %s.losses.csv)%n", bench.losses().size(), name());
                final Csv csv = Csv.read(dir.resolve(name() + ".csv"));
                final int points = Charts.save(Charts.xyChart("udp-echo: each datagram's round trip (2 ms each way, "
                        + "10% loss each way)", "datagram", "ms (lost: 1 on the second series)", false,
                    List.of(Charts.series("RTT (ms)", csv, "seq", "rtt_ms", 1.0),
                        lostSeries(csv)), List.of()), dir, name());
                return new Result(answered > COUNT / 2 && answered < COUNT && icmpErrors[0] >= 1, points);
            }
        }

        private static XYSeries lostSeries(final Csv csv)
        {
            final XYSeries lost = new XYSeries("lost (no reply)", true, true);
            for (int i = 0; i < csv.size(); i++)
            {
                if (csv.number(i, "lost") == 1)
                {
                    lost.add(csv.number(i, "seq"), 1.0);
                }
            }
            return lost;
        }
    }
}
