package io.tapstack.jmh;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.MemoryLink;
import io.tapstack.socket.Idler;
import io.tapstack.socket.SocketOptions;
import io.tapstack.socket.SocketStack;
import io.tapstack.socket.StackRunner;
import io.tapstack.socket.TcpServerSocket;
import io.tapstack.socket.TcpSocket;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A request and its echo through the whole application socket API: the benchmark thread writes {@code size}
 * bytes on a blocking {@link TcpSocket} and reads the echo back; an echo thread on the other side reads and
 * writes them back. Between them: the command ring, the per-connection rings, the stack thread ({@link StackRunner}
 * running two {@link NetStack}s joined by a zero-latency {@link MemoryLink}), TCP both ways with Nagle off, and
 * the wake-ups of blocked threads. It measures the API's round-trip latency, thread hand-offs included.
 *
 * <p>{@code -prof gc} shows the allocation of the benchmark thread only; the stack thread's (zero per segment) is
 * checked by {@code SocketZeroAllocationTest}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class SocketEchoBenchmark
{
    @Param({"64", "16384"})
    public int size;

    private StackRunner runner;
    private TcpSocket client;
    private InputStream in;
    private OutputStream out;
    private Thread echo;
    private byte[] request;
    private byte[] reply;

    @Setup(Level.Trial)
    public void setUp() throws IOException
    {
        final MemoryLink link = new MemoryLink(SystemNanoClock.INSTANCE, 0, 8192, 1514);
        final SocketStack a = new SocketStack(new NetStack(new StackConfig().ipAddress("10.0.0.1/24").seed(1),
            link.endA()));
        final SocketStack b = new SocketStack(new NetStack(new StackConfig().ipAddress("10.0.0.2/24").seed(2),
            link.endB()));
        runner = new StackRunner(Idler.parking(), SystemNanoClock.INSTANCE, "benchmark-stacks").add(a).add(b).start();
        final SocketOptions noDelay = SocketOptions.defaults().nagle(false);
        final TcpServerSocket listener = b.listen(7, noDelay);
        client = a.connect(Ipv4Address.parse("10.0.0.2"), 7, Duration.ofSeconds(5), noDelay);
        final TcpSocket server = listener.accept(Duration.ofSeconds(5));
        echo = new Thread(() ->
        {
            final byte[] buffer = new byte[65536];
            try
            {
                int n;
                while ((n = server.read(buffer, 0, buffer.length)) > 0)
                {
                    server.write(buffer, 0, n);
                }
            }
            catch (final IOException ended)
            {
                // the trial is over: the stack was closed
            }
        }, "echo");
        echo.setDaemon(true);
        echo.start();
        in = client.getInputStream();
        out = client.getOutputStream();
        request = new byte[size];
        reply = new byte[size];
    }

    @TearDown(Level.Trial)
    public void tearDown()
    {
        runner.close();
    }

    @Benchmark
    public int roundTrip() throws IOException
    {
        out.write(request);
        return in.readNBytes(reply, 0, size);
    }
}
