package io.tapstack.tcp;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.StackCounters.Counter;
import io.tapstack.dev.ImpairedDevice;
import io.tapstack.dev.Impairment;
import io.tapstack.dev.MemoryLink;
import io.tapstack.time.ManualClock;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.SeqNum;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.tapstack.tcp.TcpState.CLOSED;
import static io.tapstack.tcp.TcpState.CLOSE_WAIT;
import static io.tapstack.tcp.TcpState.CLOSING;
import static io.tapstack.tcp.TcpState.ESTABLISHED;
import static io.tapstack.tcp.TcpState.FIN_WAIT_1;
import static io.tapstack.tcp.TcpState.FIN_WAIT_2;
import static io.tapstack.tcp.TcpState.LAST_ACK;
import static io.tapstack.tcp.TcpState.LISTEN;
import static io.tapstack.tcp.TcpState.SYN_RECEIVED;
import static io.tapstack.tcp.TcpState.SYN_SENT;
import static io.tapstack.tcp.TcpState.TIME_WAIT;

/**
 * Two stacks over an impaired {@link MemoryLink}, both listening on port 7, driven by random sequences of user
 * calls on either end (connect, write, read, shutdownOutput, close, abort), link impairments and time advances.
 * After every duty cycle of the simulation, on every connection ever made:
 * <ul>
 *   <li>no exception escapes (a user call or a duty cycle), and STACK_INTERNAL_ERRORS stays 0;</li>
 *   <li>SND.UNA ≤ SND.NXT ≤ SND.MAX (mod 2^32);</li>
 *   <li>the bytes one end read are a prefix of the bytes the other end wrote on that connection;</li>
 *   <li>every state change the {@link TcpEventListener} reports is legal per RFC 9293 figure 5 and §3.10
 *       ({@link #LEGAL}), starts where the previous one ended, and matches {@link TcpConnection#state()}.</li>
 * </ul>
 * When every impairment of a run kept loss at or below 5% a frame, a final phase heals the link and reads
 * everything: no connection may have died of a timeout, and on every connection neither end reset, every
 * byte written has been read by the other end.
 */
class TcpStateMachineProperties
{
    private static final long MS = 1_000_000L;
    private static final long SECOND = 1_000_000_000L;
    private static final int A_IP = Ipv4Address.parse("10.0.0.1");
    private static final int B_IP = Ipv4Address.parse("10.0.0.2");
    private static final int PORT = 7;
    private static final int MAX_CONNECTIONS = 4;
    static final double[] LOSS = {0, 0.01, 0.05, 0.2, 0.5, 1.0};
    static final double[] HEALTHY_LOSSES = {0, 0.01, 0.05};
    private static final double HEALTHY_LOSS = 0.05;

    /**
     * RFC 9293 figure 5, with the transitions §3.10 adds: any state goes to CLOSED on abort, a valid RST or a
     * timeout; FIN-WAIT-1 goes straight to TIME-WAIT when a FIN arrives with the ACK of ours (§3.10.7.4
     * eighth); SYN-RECEIVED goes to CLOSE-WAIT on a FIN (§3.10.7.4 eighth). A passive connection is born from
     * its listener (LISTEN is the {@link TcpListener}, not the connection), so CLOSED → SYN-RECEIVED is its
     * first step. A connection that reached CLOSED never changes again.
     */
    static final Map<TcpState, Set<TcpState>> LEGAL = new EnumMap<>(TcpState.class);

    static
    {
        LEGAL.put(CLOSED, EnumSet.of(LISTEN, SYN_SENT, SYN_RECEIVED));
        LEGAL.put(LISTEN, EnumSet.of(SYN_RECEIVED, SYN_SENT, CLOSED));
        LEGAL.put(SYN_SENT, EnumSet.of(SYN_RECEIVED, ESTABLISHED, CLOSED));
        LEGAL.put(SYN_RECEIVED, EnumSet.of(ESTABLISHED, FIN_WAIT_1, CLOSE_WAIT, LISTEN, CLOSED));
        LEGAL.put(ESTABLISHED, EnumSet.of(FIN_WAIT_1, CLOSE_WAIT, CLOSED));
        LEGAL.put(FIN_WAIT_1, EnumSet.of(FIN_WAIT_2, CLOSING, TIME_WAIT, CLOSED));
        LEGAL.put(FIN_WAIT_2, EnumSet.of(TIME_WAIT, CLOSED));
        LEGAL.put(CLOSE_WAIT, EnumSet.of(LAST_ACK, CLOSED));
        LEGAL.put(CLOSING, EnumSet.of(TIME_WAIT, CLOSED));
        LEGAL.put(LAST_ACK, EnumSet.of(CLOSED));
        LEGAL.put(TIME_WAIT, EnumSet.of(CLOSED));
    }

    enum Kind
    {
        WRITE, READ, SHUTDOWN, CLOSE, ABORT, ADVANCE, IMPAIR, CONNECT,
        /** Both ends of one connection write at the same instant: data in flight both ways. */
        WRITE_BOTH
    }

    /**
     * One step: {@code side} 0 is A, 1 is B; {@code pick} chooses among that side's connections; {@code amount}
     * sizes the write or read, the time advance, or the impairment.
     */
    record Action(Kind kind, int side, int pick, int amount)
    {
        @Override
        public String toString()
        {
            return kind + (kind == Kind.ADVANCE ? "" : (side == 0 ? " A" : " B") + "#" + pick) + " " + amount;
        }
    }

    @Provide
    static Arbitrary<List<Action>> actions()
    {
        final Arbitrary<Kind> kind = Arbitraries.frequency(
            net.jqwik.api.Tuple.of(25, Kind.WRITE), net.jqwik.api.Tuple.of(20, Kind.READ),
            net.jqwik.api.Tuple.of(4, Kind.SHUTDOWN), net.jqwik.api.Tuple.of(4, Kind.CLOSE),
            net.jqwik.api.Tuple.of(2, Kind.ABORT), net.jqwik.api.Tuple.of(30, Kind.ADVANCE),
            net.jqwik.api.Tuple.of(10, Kind.IMPAIR), net.jqwik.api.Tuple.of(5, Kind.CONNECT),
            net.jqwik.api.Tuple.of(8, Kind.WRITE_BOTH));
        final Arbitrary<Action> action = Combinators.combine(kind, Arbitraries.integers().between(0, 1),
            Arbitraries.integers().between(0, 3), Arbitraries.integers().between(0, 99_999)).as(Action::new);
        return action.list().ofMinSize(1).ofMaxSize(60);
    }

    /**
     * The seeds CI runs are pinned so that main stays green and a failure is always reproducible; new samples are
     * hunted with random seeds by {@code TcpStateMachineHunt} (see its comment), and what it finds is fixed and
     * then replayed here as an {@link Example}.
     */
    static final String CI_SEED = "20261129";

    @Property(tries = 1000, edgeCases = EdgeCasesMode.NONE, seed = CI_SEED)
    void everyConnectionStaysConsistentWhateverTheUsersAndTheLinkDo(
        @ForAll final long seed,
        @ForAll final boolean smallBuffers,
        @ForAll("actions") final List<Action> actions)
    {
        run(new World(seed, smallBuffers, LOSS), actions);
    }

    /** The same with loss of at most 5% a frame per device and direction, so every run ends in the liveness check. */
    @Property(tries = 600, edgeCases = EdgeCasesMode.NONE, seed = CI_SEED)
    void onAHealthyLinkEverythingWrittenIsDelivered(
        @ForAll final long seed,
        @ForAll final boolean smallBuffers,
        @ForAll("actions") final List<Action> actions)
    {
        run(new World(seed, smallBuffers, HEALTHY_LOSSES), actions);
    }

    /**
     * A sample the healthy-link property found (jqwik seed -9204916456556710366, try ~5,490; shrunk): two
     * connections with 2,920-byte receive buffers whose users stop reading. The connection A:55505 dies of
     * "user timeout: data unacknowledged too long" at about t = 290 s although B has acknowledged every byte
     * (B's RCV.NXT = A's SND.MAX): B's ACKs carry SEQ = B's SND.MAX, one beyond A's RCV.NXT because of B's
     * zero-window probe byte, and A, whose receive window is zero, drops them unread (RFC 9293 §3.10.7.4:
     * "if the RCV.WND is zero, no segments will be acceptable, but special allowance should be made to accept
     * valid ACKs, URGs, and RSTs").
     */
    @Example
    void replayZeroWindowAckDeadlock()
    {
        run(new World(-13, true, HEALTHY_LOSSES), parse("CONNECT A#0 0, WRITE A#0 0, IMPAIR A#2 35, ADVANCE 2, "
            + "WRITE A#0 0, WRITE A#0 2921, WRITE B#0 1, ADVANCE 13, WRITE A#0 0, WRITE A#0 0, WRITE A#0 0, "
            + "WRITE_BOTH A#1 10405, WRITE A#0 0, WRITE B#1 840, WRITE A#0 0, ADVANCE 9057, WRITE B#2 70596, "
            + "READ A#0 67193, WRITE_BOTH B#3 26672, WRITE B#3 508, ADVANCE 268, READ A#3 635, READ A#1 221, "
            + "READ B#1 98, ADVANCE 1020, WRITE B#1 75988, CONNECT B#1 1033, READ B#3 1137, ADVANCE 1010, "
            + "ADVANCE 160, WRITE B#1 3107, IMPAIR A#0 317, ADVANCE 1168"));
    }

    /**
     * A sample the healthy-link hunt found (jqwik seed 4600908628880061460, try 11,982; shrunk): B's 2,920-byte
     * receive buffer fills and its user never reads, so A probes B's zero window, the interval backing off to
     * the 60 s cap while B answers every probe. B's answer to the probe at t = 102 s is lost (1% loss on A's
     * receive side) and so is the probe at t = 162 s (5% on A's transmit side); at t = 222 s A reset the
     * connection with "user timeout: zero-window probes unanswered", having counted the 120 s user timeout from
     * B's last ACK it heard (t = 51 s): at the cap one lost probe is enough for that. Silence now counts from
     * the first probe left unanswered, and needs 4 of them (RFC 1122 §4.2.2.17, §4.2.3.5).
     */
    @Example
    void replayOneLostZeroWindowProbeAtTheCappedInterval()
    {
        run(new World(100818, true, HEALTHY_LOSSES), parse("ADVANCE 2, IMPAIR A#2 1, WRITE_BOTH A#0 5, "
            + "WRITE A#0 2916, ADVANCE 13, CONNECT B#0 0, ADVANCE 13, ADVANCE 5, WRITE A#0 0, WRITE A#0 0, "
            + "WRITE A#0 0, WRITE A#0 0, ADVANCE 13, WRITE A#0 0, WRITE A#0 0, WRITE A#0 0, WRITE A#0 0, "
            + "WRITE A#0 0, WRITE A#0 0, ADVANCE 5"));
    }

    /**
     * Found by this property's CI seed with pure ACKs at SND.MAX while probing (sample seed 116564; shrunk; it
     * fails only with that change, made by the next fix): two ends with closed windows both probing, each ACK
     * one past the other's RCV.NXT because of the probe byte the other dropped. Both took the ACK through the zero-window special allowance (RFC 9293 §3.10.7.4) but also answered
     * it, as if unacceptable: an ACK war that the link's 10% duplication multiplied until the link was full
     * (20 million segments), starving the other connections past the healed 300 s.
     */
    @Example
    void replayZeroWindowAckWar()
    {
        run(new World(116564, true, HEALTHY_LOSSES), parse("READ A#0 5, READ B#3 31463, ADVANCE 466, "
            + "READ A#1 2613, WRITE A#3 23883, CONNECT A#1 140, ADVANCE 3055, READ B#0 282, ADVANCE 26443, "
            + "IMPAIR B#2 14, WRITE B#0 36618, ADVANCE 314, CONNECT A#3 72, READ A#2 3570, READ B#1 1, "
            + "WRITE_BOTH A#1 973, CONNECT B#3 703, READ A#2 2192, WRITE A#2 132, IMPAIR A#3 22, READ B#2 92, "
            + "WRITE B#3 549, ADVANCE 104, WRITE B#3 80150, ADVANCE 7, WRITE A#1 2537"));
    }

    /**
     * A sample the healthy-link hunt found (jqwik seed -3615305792887492507, try 5,457; shrunk): on A:59142 both
     * ends probe each other's zero window, and when the readers free space each takes the other's probe byte.
     * Their pure ACKs carried SND.NXT without the probe byte, one below the other's RCV.NXT: each end dropped
     * the other's ACK as old and answered it with another such ACK, so neither learnt its byte had arrived and
     * both reset with "user timeout: zero-window probes unanswered". A pure ACK now carries SND.MAX.
     */
    @Example
    void replayProbeBytesTakenOnBothSides()
    {
        run(new World(0, true, HEALTHY_LOSSES), parse("IMPAIR B#0 8413, READ B#2 14, ADVANCE 600, "
            + "CONNECT A#3 8631, ADVANCE 34412, WRITE B#0 455, READ B#2 201, READ B#1 3, WRITE_BOTH A#2 10, "
            + "ADVANCE 10416, ADVANCE 4265, WRITE B#0 88, IMPAIR B#2 9, ADVANCE 726, READ B#2 29933, "
            + "SHUTDOWN B#0 30, WRITE B#2 1332, WRITE A#0 86245, ADVANCE 76599, WRITE_BOTH A#3 49273, "
            + "WRITE A#2 6, READ B#0 83, WRITE A#2 11, WRITE A#1 514, READ A#3 11590, ADVANCE 10, "
            + "ADVANCE 19852, ADVANCE 80"));
    }

    /** Actions in their {@link Action#toString()} form, comma-separated. */
    static List<Action> parse(final String text)
    {
        final List<Action> actions = new ArrayList<>();
        for (final String item : text.split(","))
        {
            final String[] f = item.trim().split(" ");
            final Kind kind = Kind.valueOf(f[0]);
            if (kind == Kind.ADVANCE)
            {
                actions.add(new Action(kind, 0, 0, Integer.parseInt(f[1])));
            }
            else
            {
                final String[] sidePick = f[1].split("#");
                actions.add(new Action(kind, sidePick[0].equals("A") ? 0 : 1, Integer.parseInt(sidePick[1]),
                    Integer.parseInt(f[2])));
            }
        }
        return actions;
    }

    static void run(final World w, final List<Action> actions)
    {
        try
        {
            w.connect(0);
            for (final Action action : actions)
            {
                w.step = action.toString();
                w.apply(action);
                w.runFor(0);
            }
            w.step = "heal";
            w.healAndCheckLiveness();
        }
        catch (final AssertionError | RuntimeException e)
        {
            // jqwik prints the seed and the shrunk sample; the last failing run (the shrunk one) leaves its pcap
            final Path file = Path.of("target", "simulation-failures", "state-machine-seed-" + w.seed + ".pcap");
            try
            {
                w.pcap.write(file);
            }
            catch (final IOException io)
            {
                e.addSuppressed(io);
            }
            throw new AssertionError(e.getMessage() + " (last " + w.pcap.size() + " frames in "
                + file.toAbsolutePath() + ")", e);
        }
        Statistics.label("liveness checked").collect(w.maxLoss <= HEALTHY_LOSS);
        Statistics.label("retransmission timeouts").collect(
            w.stacks[0].counters().get(Counter.TCP_RTO_EXPIRIES) + w.stacks[1].counters().get(Counter.TCP_RTO_EXPIRIES)
            > 0);
        Statistics.label("states reached").collect(w.statesReached.size() >= 8 ? ">= 8" : "< 8");
    }

    // ------------------------------------------------------------------------------------------------ the world

    /** One connection end as the test sees it: what its user wrote and read. */
    static final class End implements TcpHandler
    {
        final int side;
        TcpConnection connection;
        long written;
        long read;
        boolean reset;
        boolean aborted;
        /** What the peer had written when this end called close(): it reads no more than that; -1 if open. */
        long peerWrittenAtClose = -1;

        End(final int side)
        {
            this.side = side;
        }

        @Override
        public void onReset(final TcpConnection c)
        {
            reset = true;
        }

        /** Identifies the byte stream this end sends: its ports, so the reader can recompute it. */
        long salt()
        {
            return (long)connection.localPort() << 16 | connection.remotePort();
        }

        /** The salt of the stream this end receives. */
        long peerSalt()
        {
            return (long)connection.remotePort() << 16 | connection.localPort();
        }
    }

    /** Byte {@code k} of the stream identified by {@code salt}. */
    static byte streamByte(final long salt, final long k)
    {
        long z = salt * 0x9E37_79B9_7F4A_7C15L + k * 0xBF58_476D_1CE4_E5B9L;
        z ^= z >>> 31;
        z *= 0x94D0_49BB_1331_11EBL;
        return (byte)(z ^ z >>> 29);
    }

    static final class World implements TcpEventListener
    {
        final ManualClock clock = new ManualClock(1_000 * SECOND);
        final MemoryLink link = new MemoryLink(clock, MS, 1024, 1514);
        final TcpSimulationTest.PcapRing pcap = new TcpSimulationTest.PcapRing(1024);
        final long seed;
        final ImpairedDevice[] devices = new ImpairedDevice[2];
        final NetStack[] stacks = new NetStack[2];
        final List<List<End>> ends = List.of(new ArrayList<>(), new ArrayList<>());
        final Map<TcpConnection, TcpState> lastState = new IdentityHashMap<>();
        final byte[] scratch = new byte[65536];
        final Set<TcpState> statesReached = EnumSet.noneOf(TcpState.class);
        final double[] losses;
        double maxLoss;
        String step = "start";
        int connections;

        World(final long seed, final boolean smallBuffers, final double[] losses)
        {
            this.losses = losses;
            this.seed = seed;
            link.observer(pcap);
            for (int side = 0; side < 2; side++)
            {
                devices[side] = ImpairedDevice.builder(side == 0 ? link.endA() : link.endB()).seed(seed + side)
                    .storeFrames(128).build();
                final StackConfig config = new StackConfig().ipAddress(side == 0 ? "10.0.0.1/24" : "10.0.0.2/24")
                    .seed(seed * 2 + side).repeatableSecrets(true); // a failing seed replays exactly
                if (smallBuffers)
                {
                    config.tcp().receiveBufferBytes(2920).sendBufferBytes(4096);
                }
                stacks[side] = new NetStack(config, devices[side]);
                stacks[side].tcp().eventListener(this);
                final int s = side;
                stacks[side].tcp().listen(PORT, l ->
                {
                    TcpConnection c;
                    while ((c = l.accept()) != null)
                    {
                        final End end = new End(s);
                        end.connection = c;
                        c.handler(end);
                        ends.get(s).add(end);
                    }
                });
            }
        }

        void connect(final int side)
        {
            if (connections >= MAX_CONNECTIONS)
            {
                return;
            }
            final End end = new End(side);
            end.connection = stacks[side].tcp().connect(side == 0 ? B_IP : A_IP, PORT, end, clock.nanoTime());
            if (end.connection != null)
            {
                connections++;
                ends.get(side).add(end);
            }
        }

        void apply(final Action a)
        {
            final List<End> mine = ends.get(a.side());
            final End end = mine.isEmpty() ? null : mine.get(a.pick() % mine.size());
            switch (a.kind())
            {
                case WRITE:
                    if (end != null)
                    {
                        write(end, a.amount() % 20_000);
                    }
                    break;
                case READ:
                    if (end != null)
                    {
                        read(end, 1 + a.amount() % 65_536);
                    }
                    break;
                case SHUTDOWN:
                    if (end != null)
                    {
                        end.connection.shutdownOutput();
                    }
                    break;
                case CLOSE:
                    if (end != null)
                    {
                        if (end.peerWrittenAtClose < 0)
                        {
                            final End peer = peerOf(end);
                            end.peerWrittenAtClose = peer == null ? 0 : peer.written;
                        }
                        end.connection.close();
                    }
                    break;
                case ABORT:
                    if (end != null)
                    {
                        end.aborted = true;
                        end.connection.abort();
                    }
                    break;
                case ADVANCE:
                    final long[] steps = {0, MS, 10 * MS, 100 * MS, SECOND, 10 * SECOND, 70 * SECOND};
                    runFor(steps[a.amount() % steps.length] + a.amount() / steps.length * 1_000L);
                    break;
                case IMPAIR:
                    devices[a.side()].receiveImpairment(impairment(a.amount()));
                    devices[a.side()].transmitImpairment(impairment(a.amount() / 7 + a.pick()));
                    break;
                case CONNECT:
                    connect(a.side());
                    break;
                case WRITE_BOTH:
                    if (end != null)
                    {
                        write(end, a.amount() % 20_000);
                        final End peer = peerOf(end);
                        if (peer != null)
                        {
                            write(peer, a.amount() / 5 % 20_000);
                        }
                    }
                    break;
                default:
                    throw new IllegalStateException();
            }
            check();
        }

        Impairment impairment(final int amount)
        {
            final double loss = losses[amount % losses.length];
            maxLoss = Math.max(maxLoss, loss);
            return Impairment.NONE.withLoss(loss)
                .withDuplicate((amount / 6) % 2 == 0 ? 0 : 0.1)
                .withReorder((amount / 12) % 2 == 0 ? 0 : 0.2, MS)
                .withDelayNs((amount / 24) % 3 * 2 * MS, (amount / 72) % 2 * 3 * MS);
        }

        void write(final End end, final int size)
        {
            final long salt = end.salt();
            for (int i = 0; i < size; i++)
            {
                scratch[i] = streamByte(salt, end.written + i);
            }
            final int n = end.connection.write(scratch, 0, size);
            if (n > 0)
            {
                end.written += n;
            }
        }

        void read(final End end, final int max)
        {
            final int n = end.connection.read(scratch, 0, Math.min(max, scratch.length));
            if (n > 0)
            {
                final long salt = end.peerSalt();
                for (int i = 0; i < n; i++)
                {
                    if (scratch[i] != streamByte(salt, end.read + i))
                    {
                        throw new AssertionError(where() + ": " + end.connection + " read byte " + (end.read + i)
                            + " that the peer did not write there");
                    }
                }
                end.read += n;
            }
        }

        /** Runs both stacks for {@code durationNs}, checking the invariants after every duty cycle. */
        void runFor(final long durationNs)
        {
            final long endNs = clock.nanoTime() + durationNs;
            int busy = 0;
            int stale = 0;
            while (true)
            {
                final long now = clock.nanoTime();
                final int work = stacks[0].doWork(now) + stacks[1].doWork(now);
                check();
                if (work > 0)
                {
                    if (++busy > 100_000)
                    {
                        throw new AssertionError(where() + ": 100,000 duty cycles with work at one instant");
                    }
                    continue;
                }
                busy = 0;
                final long next = Math.min(Math.min(stacks[0].nextDeadlineNs(), stacks[1].nextDeadlineNs()),
                    link.nextDeliveryNs());
                if (next <= now)
                {
                    // a deadline that has passed must give work; else the simulation (or a SHARED-mode idle
                    // strategy) spins, 1 ns at a time
                    if (++stale > 1_000)
                    {
                        throw new AssertionError(where() + ": a deadline in the past gives no work: "
                            + staleDeadlines(now));
                    }
                }
                else
                {
                    stale = 0;
                }
                if (next > endNs)
                {
                    clock.setNs(endNs);
                    stacks[0].doWork(endNs);
                    stacks[1].doWork(endNs);
                    check();
                    return;
                }
                clock.setNs(Math.max(next, now + 1));
            }
        }

        String staleDeadlines(final long now)
        {
            final StringBuilder sb = new StringBuilder();
            for (int side = 0; side < 2; side++)
            {
                final NetStack s = stacks[side];
                sb.append(side == 0 ? "A" : "B").append(" arp ").append(in(s.arp().nextDeadlineNs(), now))
                    .append(", ipv4 ").append(in(s.ipv4().nextDeadlineNs(), now))
                    .append(", tcp ").append(in(s.tcp().nextDeadlineNs(), now))
                    .append(", device ").append(in(s.device().nextDeadlineNs(), now)).append("; ");
            }
            return sb + "link " + in(link.nextDeliveryNs(), now) + "; " + describe();
        }

        private static String in(final long deadline, final long now)
        {
            return deadline == Long.MAX_VALUE ? "never" : deadline == Long.MIN_VALUE ? "now (MIN_VALUE)"
                : "in " + (deadline - now) + " ns";
        }

        String where()
        {
            return "after " + step + " at t=" + (clock.nanoTime() - 1_000 * SECOND) / MS + " ms";
        }

        void check()
        {
            for (int side = 0; side < 2; side++)
            {
                final long errors = stacks[side].counters().get(Counter.STACK_INTERNAL_ERRORS);
                if (errors != 0)
                {
                    throw new AssertionError(where() + ": " + (side == 0 ? "A" : "B") + " STACK_INTERNAL_ERRORS = "
                        + errors);
                }
                for (final End end : ends.get(side))
                {
                    final TcpConnection c = end.connection;
                    if (!SeqNum.le(c.sndUna(), c.sndNxt()) || !SeqNum.le(c.sndNxt(), c.sndMax()))
                    {
                        throw new AssertionError(where() + ": " + c + " in " + c.state() + ": SND.UNA "
                            + SeqNum.unsigned(c.sndUna()) + ", SND.NXT " + SeqNum.unsigned(c.sndNxt())
                            + ", SND.MAX " + SeqNum.unsigned(c.sndMax()) + " out of order");
                    }
                    final TcpState seen = lastState.get(c);
                    if (seen != null && seen != c.state())
                    {
                        throw new AssertionError(where() + ": " + c + " is in " + c.state()
                            + " but its last state change reported was to " + seen);
                    }
                    final End peer = peerOf(end);
                    if (end.read > 0 && (peer == null || end.read > peer.written))
                    {
                        throw new AssertionError(where() + ": " + c + " read " + end.read + " bytes, the peer wrote "
                            + (peer == null ? "none (no peer)" : peer.written));
                    }
                }
            }
        }

        /** The other end of the same connection (the latest with the mirrored 4-tuple), or null. */
        End peerOf(final End end)
        {
            final List<End> others = ends.get(1 - end.side);
            for (int i = others.size() - 1; i >= 0; i--)
            {
                final TcpConnection o = others.get(i).connection;
                if (o.localPort() == end.connection.remotePort() && o.remotePort() == end.connection.localPort())
                {
                    return others.get(i);
                }
            }
            return null;
        }

        @Override
        public void onStateChange(final TcpConnection c, final TcpState from, final TcpState to, final long nowNs)
        {
            final TcpState previous = lastState.getOrDefault(c, CLOSED);
            if (previous != from)
            {
                throw new AssertionError(where() + ": " + c + " reported " + from + " -> " + to
                    + " but was last reported in " + previous);
            }
            if (lastState.containsKey(c) && previous == CLOSED)
            {
                throw new AssertionError(where() + ": " + c + " changed state after it was CLOSED: -> " + to);
            }
            if (!LEGAL.get(from).contains(to))
            {
                throw new AssertionError(where() + ": " + c + " made an illegal transition " + from + " -> " + to);
            }
            lastState.put(c, to);
            statesReached.add(to);
        }

        /**
         * With no more than {@link #HEALTHY_LOSS} ever, a healed link must finish everything: no timeouts, and
         * every byte written on a connection neither end reset or aborted is read by the other end.
         */
        void healAndCheckLiveness()
        {
            if (maxLoss > HEALTHY_LOSS)
            {
                return;
            }
            devices[0].receiveImpairment(Impairment.NONE).transmitImpairment(Impairment.NONE);
            devices[1].receiveImpairment(Impairment.NONE).transmitImpairment(Impairment.NONE);
            for (int round = 0; round < 300 && !allDelivered(); round++)
            {
                for (final List<End> side : ends)
                {
                    for (final End end : side)
                    {
                        while (end.connection.readable() > 0)
                        {
                            read(end, 65_536);
                        }
                    }
                }
                runFor(SECOND);
            }
            for (int side = 0; side < 2; side++)
            {
                final long timeouts = stacks[side].counters().get(Counter.TCP_USER_TIMEOUTS);
                if (timeouts != 0)
                {
                    throw new AssertionError(where() + ": " + (side == 0 ? "A" : "B") + " had " + timeouts
                        + " timeouts although loss never exceeded " + HEALTHY_LOSS + "; " + describe());
                }
            }
            if (!allDelivered())
            {
                throw new AssertionError(where() + ": bytes written were not all delivered after 300 s on a healed "
                    + "link; " + describe());
            }
        }

        boolean allDelivered()
        {
            for (final End end : ends.get(0))
            {
                final End peer = peerOf(end);
                if (peer == null || end.reset || peer.reset || end.aborted || peer.aborted
                    || end.connection.resetReason() != null || peer.connection.resetReason() != null)
                {
                    continue;
                }
                if (end.read != expectedRead(end, peer) || peer.read != expectedRead(peer, end))
                {
                    return false;
                }
            }
            return true;
        }

        /**
         * All the peer wrote, or, once this end called close(), what the peer had written by then: what it writes
         * later is refused with a reset or, after our FIN-WAIT-2 timeout, by our stack's reset for an unknown
         * connection (which the peer in LAST-ACK takes silently, RFC 9293 §3.10.7.4 second check).
         */
        static long expectedRead(final End end, final End peer)
        {
            return end.peerWrittenAtClose >= 0 ? Math.min(peer.written, end.peerWrittenAtClose) : peer.written;
        }

        String describe()
        {
            final StringBuilder sb = new StringBuilder();
            for (final List<End> side : ends)
            {
                for (final End end : side)
                {
                    final TcpConnection c = end.connection;
                    sb.append(end.side == 0 ? "A " : "B ").append(c).append(' ').append(c.state())
                        .append(" written ").append(end.written).append(" read ").append(end.read)
                        .append(end.reset ? " RESET(" + c.resetReason() + ")" : "")
                        .append(end.aborted ? " ABORTED" : "")
                        .append(" una ").append(SeqNum.unsigned(c.sndUna()))
                        .append(" nxt ").append(SeqNum.unsigned(c.sndNxt()))
                        .append(" max ").append(SeqNum.unsigned(c.sndMax()))
                        .append(" rcv.nxt ").append(SeqNum.unsigned(c.rcvNxt())).append("; ");
                }
            }
            return sb.toString();
        }
    }
}
