package io.tapstack.forward.dhcp;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.tap.Cmd;
import io.tapstack.tap.TapConfig;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapFrameDevice;
import io.tapstack.tap.TapInteropSupport;
import io.tapstack.tap.TapInteropSupport.Netns;
import org.agrona.concurrent.SystemNanoClock;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.LongToIntFunction;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A guest on a TAP: a network namespace the test creates, the TAP moved into it (its kernel side the guest's
 * interface, up and without an address: the guest configures it, by DHCP or by hand), and a stack on the TAP at
 * {@code PREFIX.1/24} (the guest's gateway) run by a thread of its own that also runs the services the test
 * installs (their {@code doWork(nowNs)} after the stack's, each duty cycle). Network safety: the TAP is never up
 * in the root namespace and every packet stays in the namespace; {@link #close()} stops the stack, closes the TAP
 * and deletes the namespace. Callers skip first with {@link TapInteropSupport#assumeTapInterop()}.
 */
public final class GuestTap implements AutoCloseable
{
    private static final long MAX_IDLE_NS = TimeUnit.MILLISECONDS.toNanos(1);

    public final Netns netns;
    public final String guestInterface;
    public final String gatewayIp;
    public final NetStack stack;
    private final TapFrameDevice device;
    private final List<LongToIntFunction> services = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    private GuestTap(final Netns netns, final String guestInterface, final String prefix, final TapDevice tap,
        final StackConfig config)
    {
        this.netns = netns;
        this.guestInterface = guestInterface;
        this.gatewayIp = prefix + ".1";
        this.device = new TapFrameDevice(tap, true);
        this.stack = new NetStack(config.ipAddress(gatewayIp + "/24"), device);
        this.thread = new Thread(this::run, "guest-stack-" + guestInterface);
        thread.setDaemon(true);
    }

    /** @param prefix the first three octets of the guest's /24, "10.77.3" */
    public static GuestTap open(final String prefix)
    {
        final Netns netns = Netns.create();
        TapDevice tap = null;
        try
        {
            final String name = "tsg" + TapInteropSupport.randomHex(8);
            tap = TapDevice.open(new TapConfig().name(name).mtu(1500));
            final Cmd.Result move = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "set", name, "netns",
                netns.name);
            assertTrue(move.ok(), () -> "moving the TAP failed: " + move);
            netns.execOk("ip", "link", "set", "lo", "up");
            netns.execOk("ip", "link", "set", name, "up");
            return new GuestTap(netns, name, prefix, tap, new StackConfig());
        }
        catch (final RuntimeException | Error ex)
        {
            if (tap != null)
            {
                tap.close();
            }
            netns.close();
            throw ex;
        }
    }

    /** Runs {@code service} every duty cycle with the cycle's time, after the stack's own work. */
    public GuestTap service(final LongToIntFunction service)
    {
        services.add(service);
        return this;
    }

    public GuestTap start()
    {
        thread.start();
        return this;
    }

    private void run()
    {
        try
        {
            while (running)
            {
                Runnable task;
                while ((task = tasks.poll()) != null)
                {
                    task.run();
                }
                final long now = SystemNanoClock.INSTANCE.nanoTime();
                int work = stack.doWork(now);
                for (final LongToIntFunction service : services)
                {
                    work += service.applyAsInt(now);
                }
                if (work == 0)
                {
                    // services may wait on host sockets the TAP's poll does not see: never idle past 1 ms
                    final long untilDeadline = stack.nextDeadlineNs() - SystemNanoClock.INSTANCE.nanoTime();
                    device.awaitReadable(Math.max(0, Math.min(MAX_IDLE_NS, untilDeadline)));
                }
            }
        }
        catch (final Throwable ex)
        {
            failure = ex;
        }
    }

    /** Runs {@code action} on the stack thread and returns its result (5 s at most). */
    public <T> T call(final Callable<T> action) throws Exception
    {
        final CompletableFuture<T> result = new CompletableFuture<>();
        tasks.add(() ->
        {
            try
            {
                result.complete(action.call());
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        });
        device.wakeup();
        return result.get(5, TimeUnit.SECONDS);
    }

    /** Runs a command in the guest's namespace. */
    public Cmd.Result exec(final Duration timeout, final String... command)
    {
        return netns.exec(timeout, command);
    }

    public Throwable failure()
    {
        return failure;
    }

    @Override
    public void close() throws Exception
    {
        running = false;
        device.wakeup();
        thread.join(5_000);
        try
        {
            device.close();
        }
        finally
        {
            netns.close();
        }
        if (failure != null)
        {
            throw new AssertionError("the stack thread failed", failure);
        }
    }
}
