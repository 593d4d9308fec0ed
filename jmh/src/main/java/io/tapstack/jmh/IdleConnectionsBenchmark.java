package io.tapstack.jmh;

import io.tapstack.StackConfig;
import io.tapstack.tcp.TcpConnection;
import io.tapstack.tcp.TcpHandler;
import io.tapstack.testkit.TwoStacks;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

import static io.tapstack.testkit.TwoStacks.SECOND;

/**
 * What idle connections cost a duty cycle: two stacks over a zero-latency {@link io.tapstack.dev.MemoryLink} in
 * manual time hold {@code connections} established connections. {@code idleDutyCycle}: one duty cycle of the server
 * stack with nothing received and nothing due. {@code oneActiveAmongIdle}: the first connection carries one byte
 * per operation and the server's delayed ACK for the previous byte comes due (a timer fires in every cycle) while
 * all the others stay idle; one operation is a duty cycle of each stack. The goal: the cost with 10,000
 * connections stays within 1.5x of the cost with 10 (a scan of every connection whenever a timer fired made it
 * linear).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class IdleConnectionsBenchmark
{
    @Param({"10", "10000"})
    public int connections;

    private static final byte[] ONE_BYTE = {42};
    private final byte[] sink = new byte[64];
    private TwoStacks net;
    private long nowNs;
    private TcpConnection active;

    @Setup(Level.Trial)
    public void setUp()
    {
        net = new TwoStacks(0, this::small, this::small, d -> d, d -> d);
        final TcpHandler drain = new TcpHandler()
        {
            @Override
            public void onReadable(final TcpConnection c)
            {
                while (c.read(sink, 0, sink.length) > 0)
                {
                    // the byte is consumed: the window stays open
                }
            }
        };
        active = net.establish(connections, 80, drain).clients().get(0).nagle(false);
        net.runFor(SECOND); // delayed ACKs and the last handshakes settle: no timer left pending
        if (net.b.tcp().connectionCount() != connections || net.b.tcp().nextDeadlineNs() != Long.MAX_VALUE)
        {
            throw new IllegalStateException("not idle: " + net.b.tcp().connectionCount() + " connections");
        }
        nowNs = net.nowNs();
    }

    private StackConfig small(final StackConfig config)
    {
        // a delayed ACK of 1 us comes due in the next operation's duty cycle
        config.tcp().maxConnections(connections + 100).sendBufferBytes(2048).receiveBufferBytes(2048)
            .defaultBacklog(connections).delayedAckNs(1_000);
        return config;
    }

    @Benchmark
    public int idleDutyCycle()
    {
        nowNs += 2_000;
        return net.b.doWork(nowNs);
    }

    @Benchmark
    public int oneActiveAmongIdle()
    {
        nowNs += 2_000;
        if (active.write(ONE_BYTE, 0, 1) != 1)
        {
            throw new IllegalStateException("the active connection's send buffer is full: no ACKs came back");
        }
        return net.a.doWork(nowNs) + net.b.doWork(nowNs);
    }
}
