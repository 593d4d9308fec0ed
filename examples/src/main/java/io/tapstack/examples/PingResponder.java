package io.tapstack.examples;

import io.tapstack.NetStack;
import io.tapstack.dev.FrameDevice;
import io.tapstack.tap.TapConfig;
import io.tapstack.tap.TapDevice;
import io.tapstack.tap.TapException;
import io.tapstack.tap.TapFrameDevice;
import io.tapstack.tap.TapIoThreads;
import io.tapstack.tap.WaitableFrameDevice;
import io.tapstack.wire.Ipv4Address;
import io.tapstack.wire.MacAddress;
import org.agrona.concurrent.SystemNanoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.CountDownLatch;

/** {@code ping-responder}: answers ARP and ping on a TAP until Ctrl-C, then prints the stack's counters. */
final class PingResponder
{
    private PingResponder()
    {
    }

    static int run(final String[] args) throws InterruptedException
    {
        final Options options = StackOptions.declare(new Options("ping-responder",
            "Opens (or creates) a TAP device and answers ARP and ICMP echo on it until Ctrl-C, then prints its\n"
                + "counters. Give the kernel side of the TAP an address on the same subnet and ping the stack."));
        try
        {
            options.parse(args, 0);
        }
        catch (final Options.UsageException ex)
        {
            System.err.println("ping-responder: " + ex.getMessage() + "\n");
            System.err.print(options.help());
            return 2;
        }
        if (options.has("help"))
        {
            System.out.print(options.help());
            return 0;
        }
        StackOptions.configureLogging(options);
        final Logger log = LoggerFactory.getLogger("ping-responder");

        final TapDevice tap;
        try
        {
            tap = TapDevice.open(new TapConfig().name(options.get("tap")).mtu(options.getInt("mtu")).up(true));
        }
        catch (final TapException ex)
        {
            System.err.println("ping-responder: " + ex.getMessage());
            return 1;
        }
        final String mode = options.get("mode");
        final TapIoThreads ioThreads;
        final WaitableFrameDevice waitable;
        switch (mode)
        {
            case "shared" ->
            {
                ioThreads = null;
                waitable = new TapFrameDevice(tap, true);
            }
            case "dedicated" ->
            {
                ioThreads = new TapIoThreads(tap, TapIoThreads.DEFAULT_RING_CAPACITY, TapIoThreads.DEFAULT_BURST, true)
                    .start();
                waitable = ioThreads.device();
            }
            default ->
            {
                tap.close();
                System.err.println("ping-responder: --mode must be shared or dedicated, not '" + mode + "'");
                return 2;
            }
        }
        final Runnable closeDevice = () ->
        {
            if (ioThreads != null)
            {
                ioThreads.close();
            }
            else
            {
                waitable.close();
            }
        };
        final java.util.List<AutoCloseable> closeLast = new java.util.ArrayList<>();
        final FrameDevice device;
        try
        {
            device = StackOptions.wrap(options, waitable, closeLast);
        }
        catch (final Options.UsageException ex)
        {
            closeDevice.run();
            System.err.println("ping-responder: " + ex.getMessage());
            return 2;
        }
        final NetStack stack;
        try
        {
            stack = new NetStack(StackOptions.stackConfig(options), device, SystemNanoClock.INSTANCE);
        }
        catch (final IllegalArgumentException ex)
        {
            closeDevice.run();
            System.err.println("ping-responder: " + ex.getMessage());
            return 2;
        }
        log.info("answering ARP and ping for {} (MAC {}) on {} in {} mode; Ctrl-C to stop",
            Ipv4Address.toString(stack.ipAddress()) + "/" + stack.config().prefixLength(),
            MacAddress.toString(stack.macAddress()), tap.name(), mode);

        final StackLoop loop = new StackLoop(stack, waitable, SystemNanoClock.INSTANCE).start();
        final CountDownLatch done = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() ->
        {
            try
            {
                loop.close();
                closeDevice.run();
                for (final AutoCloseable c : closeLast)
                {
                    c.close();
                }
                System.out.println("counters of " + Ipv4Address.toString(stack.ipAddress()) + ":");
                System.out.print(stack.counters().describeNonZero());
                System.out.flush();
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
            catch (final Exception ex)
            {
                System.err.println("ping-responder: while stopping: " + ex);
            }
            finally
            {
                done.countDown();
            }
        }, "shutdown"));
        done.await();
        return 0;
    }
}
