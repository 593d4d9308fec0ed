package io.tapstack.forward.dhcp;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.forward.GuestNamespace;
import io.tapstack.tap.Cmd;
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

/**
 * A guest on a TAP ({@link GuestNamespace}: a network namespace the test creates, the TAP's kernel side moved into
 * it as the guest's interface, up and without an address: the guest configures it, by DHCP or by hand), and a stack
 * on the TAP at {@code PREFIX.1/24} (the guest's gateway) run by a thread of its own that also runs the services
 * the test installs (their {@code doWork(nowNs)} after the stack's, each duty cycle). Network safety: the TAP is never up
 * in the root namespace and every packet stays in the namespace; {@link #close()} stops the stack, closes the TAP
 * and deletes the namespace. Callers skip first with {@link TapInteropSupport#assumeTapInterop()}.
 */
public final class GuestTap implements AutoCloseable
{
    private static final long MAX_IDLE_NS = TimeUnit.MILLISECONDS.toNanos(1);

    /** The guest: its namespace and interface. */
    public final GuestNamespace namespace;
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

    private GuestTap(final GuestNamespace guest, final String prefix, final StackConfig config)
    {
        this.namespace = guest;
        this.netns = guest.netns;
        this.guestInterface = guest.interfaceName;
        this.gatewayIp = prefix + ".1";
        this.device = new TapFrameDevice(guest.takeTap(), true);
        this.stack = new NetStack(config.ipAddress(gatewayIp + "/24"), device);
        this.thread = new Thread(this::run, "guest-stack-" + guestInterface);
        thread.setDaemon(true);
    }

    /** @param prefix the first three octets of the guest's /24, "10.77.3" */
    public static GuestTap open(final String prefix)
    {
        final GuestNamespace guest = GuestNamespace.create("tsg", 1500);
        try
        {
            return new GuestTap(guest, prefix, new StackConfig());
        }
        catch (final RuntimeException | Error ex)
        {
            guest.close();
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
            namespace.close();
        }
        if (failure != null)
        {
            throw new AssertionError("the stack thread failed", failure);
        }
    }
}
