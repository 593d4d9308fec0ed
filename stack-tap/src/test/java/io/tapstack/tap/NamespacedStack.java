package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import static io.tapstack.tap.TapInteropSupport.Netns;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A {@link NetStack} on a TAP inside a network namespace of its own, run by a {@link StackLoop}: the kernel's
 * side of the TAP is {@code PREFIX.1/24}, the stack {@code PREFIX.2/24}. The TAP is created in the root namespace
 * down and without an address (so nothing is sent there) and moved into the namespace; {@link #close()} stops
 * the stack and deletes the namespace with the TAP in it. Callers skip first with
 * {@link TapInteropSupport#assumeTapInterop()}.
 */
final class NamespacedStack implements AutoCloseable
{
    final Netns netns;
    final String tapName;
    final String kernelIp;
    final String stackIp;
    final NetStack stack;
    final StackLoop loop;
    private final TapDevice tap;

    private NamespacedStack(final Netns netns, final String tapName, final String prefix, final TapDevice tap,
        final NetStack stack, final StackLoop loop)
    {
        this.netns = netns;
        this.tapName = tapName;
        this.kernelIp = prefix + ".1";
        this.stackIp = prefix + ".2";
        this.tap = tap;
        this.stack = stack;
        this.loop = loop;
    }

    /**
     * @param prefix        the first three octets of the namespace's /24, "10.99.5"
     * @param txQueueLength the TAP's transmit queue in frames, 0 for the kernel's default (what {@link TapStack} uses)
     * @param configure     changes to a default {@link StackConfig} (the address is set here)
     * @param wrap          wraps the TAP's device (impairments, captures); {@link UnaryOperator#identity()} for none
     */
    static NamespacedStack start(final String prefix, final int txQueueLength, final Consumer<StackConfig> configure,
        final UnaryOperator<FrameDevice> wrap)
    {
        final Netns netns = Netns.create();
        TapDevice tap = null;
        try
        {
            final String tapName = "tst" + TapInteropSupport.randomHex(8);
            tap = TapDevice.open(new TapConfig().name(tapName).mtu(1500).txQueueLength(txQueueLength));
            final Cmd.Result move = Cmd.run(TapInteropSupport.COMMAND_TIMEOUT, "ip", "link", "set", tapName, "netns",
                netns.name);
            assertTrue(move.ok(), () -> "moving the TAP failed: " + move);
            netns.execOk("ip", "link", "set", "lo", "up");
            netns.execOk("ip", "addr", "add", prefix + ".1/24", "dev", tapName);
            netns.execOk("ip", "link", "set", tapName, "up");
            final TapFrameDevice device = new TapFrameDevice(tap);
            final StackConfig config = new StackConfig();
            configure.accept(config);
            config.ipAddress(prefix + ".2/24");
            final NetStack stack = new NetStack(config, wrap.apply(device));
            final StackLoop loop = new StackLoop(stack, device, tapName).start();
            return new NamespacedStack(netns, tapName, prefix, tap, stack, loop);
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

    /** Runs {@code action} on the stack thread (5 s at most). */
    <T> T call(final java.util.concurrent.Callable<T> action) throws Exception
    {
        return loop.call(action, Duration.ofSeconds(5));
    }

    @Override
    public void close() throws Exception
    {
        try
        {
            loop.close();
        }
        finally
        {
            try
            {
                tap.close();
            }
            finally
            {
                netns.close();
            }
        }
    }
}
