package io.tapstack.tap;

import io.tapstack.NetStack;
import io.tapstack.StackConfig;
import io.tapstack.dev.FrameDevice;

import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

import static io.tapstack.tap.TapInteropSupport.Netns;

/**
 * A {@link NetStack} on a {@link NamespacedTap}, run by a {@link StackLoop}: the kernel's side of the TAP is
 * {@code PREFIX.1/24}, the stack {@code PREFIX.2/24}; {@link #close()} stops the stack and deletes the namespace
 * with the TAP in it. Callers skip first with
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
    /** The stack's device on the TAP (its counters: frames, super-frames). */
    final TapFrameDevice device;
    private final NamespacedTap namespacedTap;

    private NamespacedStack(final NamespacedTap namespacedTap, final String prefix, final NetStack stack,
        final StackLoop loop, final TapFrameDevice device)
    {
        this.device = device;
        this.netns = namespacedTap.netns;
        this.tapName = namespacedTap.tapName;
        this.kernelIp = namespacedTap.kernelIp;
        this.stackIp = prefix + ".2";
        this.namespacedTap = namespacedTap;
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
        return start(prefix, txQueueLength, false, configure, wrap);
    }

    /** As above; {@code offload} asks for the TAP's checksum and TSO4 offloads ({@link TapConfig#offload}). */
    static NamespacedStack start(final String prefix, final int txQueueLength, final boolean offload,
        final Consumer<StackConfig> configure, final UnaryOperator<FrameDevice> wrap)
    {
        final NamespacedTap namespacedTap = NamespacedTap.open(prefix, txQueueLength, offload);
        try
        {
            final TapFrameDevice device = new TapFrameDevice(namespacedTap.tap);
            final StackConfig config = new StackConfig();
            configure.accept(config);
            config.ipAddress(prefix + ".2/24");
            final NetStack stack = new NetStack(config, wrap.apply(device));
            final StackLoop loop = new StackLoop(stack, device, namespacedTap.tapName).start();
            return new NamespacedStack(namespacedTap, prefix, stack, loop, device);
        }
        catch (final RuntimeException | Error ex)
        {
            namespacedTap.close();
            throw ex;
        }
    }

    /** The kernel side's MAC on the TAP (the source of the frames it sends us). */
    long kernelMac()
    {
        return namespacedTap.tap.hardwareAddress();
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
            namespacedTap.close();
        }
    }
}
