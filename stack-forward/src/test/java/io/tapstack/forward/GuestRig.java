package io.tapstack.forward;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;
import io.tapstack.dev.MemoryLink;
import io.tapstack.time.ManualClock;
import io.tapstack.wire.Ipv4Address;

import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * A guest stack (10.0.2.15/24, default route via 10.0.2.2) and a gateway stack with the engine (10.0.2.2/24), joined
 * by a memory link, driven by the test thread. Stack time is simulated; the host sockets are real (every target on
 * 127.0.0.1), so an idle cycle waits a millisecond in the selector for the host before time jumps ahead.
 */
final class GuestRig implements AutoCloseable
{
    static final int GATEWAY = Ipv4Address.parse("10.0.2.2");
    static final int GUEST = Ipv4Address.parse("10.0.2.15");
    static final long MS = 1_000_000L;

    final ManualClock clock = new ManualClock(1_000_000_000_000L);
    final MemoryLink link;
    final NetStack guest;
    final NetStack gateway;
    final ForwardEngine engine;

    GuestRig(final Consumer<ForwardConfig> config)
    {
        this(config, d -> d, 100_000L, 1);
    }

    GuestRig(final Consumer<ForwardConfig> config, final UnaryOperator<FrameDevice> guestDevice, final long latencyNs,
        final long seed)
    {
        link = new MemoryLink(clock, latencyNs, 8192, 1514);
        guest = new NetStack(new StackConfig().ipAddress("10.0.2.15/24").gateway(GATEWAY).seed(seed)
            .repeatableSecrets(true), guestDevice.apply(link.endA()));
        gateway = new NetStack(new StackConfig().ipAddress("10.0.2.2/24").gatewayMode(true).seed(seed + 1)
            .repeatableSecrets(true), link.endB());
        final ForwardConfig forward = new ForwardConfig();
        config.accept(forward);
        engine = new ForwardEngine(gateway, forward);
        guest.start(clock.nanoTime());
        gateway.start(clock.nanoTime());
    }

    long now()
    {
        return clock.nanoTime();
    }

    /** Runs until {@code done} or {@code maxRealMs} of real time pass; returns done. */
    boolean runUntil(final BooleanSupplier done, final long maxRealMs)
    {
        final long end = System.nanoTime() + maxRealMs * MS;
        while (System.nanoTime() < end)
        {
            final long now = clock.nanoTime();
            int work = guest.doWork(now);
            work += gateway.doWork(now);
            work += engine.doWork(now);
            if (done.getAsBoolean())
            {
                return true;
            }
            if (work == 0)
            {
                final long next = Math.min(Math.min(guest.nextDeadlineNs(), gateway.nextDeadlineNs()),
                    Math.min(engine.nextDeadlineNs(), link.nextDeliveryNs()));
                if (next > now)
                {
                    // the host's side runs in real time: give it a moment before simulated time jumps
                    if (engine.select(MS) == 0)
                    {
                        clock.setNs(Math.min(next, now + 200 * MS));
                    }
                }
            }
        }
        return done.getAsBoolean();
    }

    @Override
    public void close()
    {
        engine.close();
    }
}
