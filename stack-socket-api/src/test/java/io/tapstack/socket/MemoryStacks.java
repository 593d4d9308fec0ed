package io.tapstack.socket;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.MemoryLink;
import io.tapstack.wire.Ipv4Address;
import org.agrona.concurrent.SystemNanoClock;

import java.util.function.UnaryOperator;

/**
 * Two stacks, A (10.0.0.1) and B (10.0.0.2), joined by a {@link MemoryLink} in real time and driven by one
 * {@link StackRunner} thread, each with the socket API in front: what the API tests talk through.
 */
final class MemoryStacks implements AutoCloseable
{
    static final int A_IP = Ipv4Address.parse("10.0.0.1");
    static final int B_IP = Ipv4Address.parse("10.0.0.2");

    final SocketStack a;
    final SocketStack b;
    final StackRunner runner;

    MemoryStacks()
    {
        this(c -> c, new SocketConfig(), new SocketConfig());
    }

    MemoryStacks(final UnaryOperator<StackConfig> config, final SocketConfig socketsA, final SocketConfig socketsB)
    {
        this(config, socketsA, socketsB, Idler.parking(), IdleBackoff.defaults());
    }

    /** With the stack thread's idler and backoff chosen (tests of how it waits). */
    MemoryStacks(final UnaryOperator<StackConfig> config, final SocketConfig socketsA, final SocketConfig socketsB,
        final Idler idler, final IdleBackoff backoff)
    {
        final MemoryLink link = new MemoryLink(SystemNanoClock.INSTANCE, 50_000L, 8192, 1514);
        final NetStack stackA = new NetStack(config.apply(new StackConfig().ipAddress("10.0.0.1/24").seed(1)
            .repeatableSecrets(true)),
            link.endA());
        final NetStack stackB = new NetStack(config.apply(new StackConfig().ipAddress("10.0.0.2/24").seed(2)
            .repeatableSecrets(true)),
            link.endB());
        a = new SocketStack(stackA, socketsA);
        b = new SocketStack(stackB, socketsB);
        runner = new StackRunner(idler, SystemNanoClock.INSTANCE, "memory-stacks", backoff).add(a).add(b).start();
    }

    @Override
    public void close()
    {
        runner.close();
    }
}
